// The admin token lives in sessionStorage only: it is gone when the tab closes.
const KEY = 'hookyard.adminToken';

export const getToken = (): string | null => sessionStorage.getItem(KEY);
export const setToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const clearToken = (): void => sessionStorage.removeItem(KEY);
