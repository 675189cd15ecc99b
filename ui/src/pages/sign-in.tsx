import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { Notice } from '../components/states';
import { clearToken, setToken } from '../session';

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: () => void }) {
  const [token, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Any admin call checks the token; a small one.
      await api('GET', '/subscribers?active=true', undefined, token.trim());
      setToken(token.trim());
      onSignedIn();
    } catch (err) {
      clearToken();
      const e2 = err as ApiError;
      setError(e2.status === 401 ? 'That token is not the admin token.' : e2.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <h1>hookyard admin</h1>
      <Notice text={notice} />
      <form onSubmit={submit}>
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autoComplete="current-password" required value={token} onInput={(e) => setValue(e.currentTarget.value)} aria-describedby="token-help" />
        <p id="token-help" class="muted">
          The <code>ADMIN_TOKEN</code> (with <code>npm start</code>: in <code>.data/credentials.json</code>). It is kept for this browser tab only.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
