import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface EmbeddedCredentials {
  ADMIN_TOKEN: string;
  WEBHOOK_INBOUND_SECRET: string;
}

/**
 * The embedded mode's admin token and inbound secret: generated on first start and kept in
 * the data dir (mode 600), so `npm start` works with no configuration and still fails closed.
 */
export function embeddedCredentials(dataDir: string): EmbeddedCredentials {
  const file = path.join(dataDir, 'credentials.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as EmbeddedCredentials;
  } catch {
    const creds = {
      ADMIN_TOKEN: randomBytes(24).toString('base64url'),
      WEBHOOK_INBOUND_SECRET: randomBytes(24).toString('base64url'),
    };
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
    return creds;
  }
}
