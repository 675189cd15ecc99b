import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A throwaway certificate authority made with openssl: a server certificate for the Temporal
// frontend and client certificates for mTLS. P-256 keys, valid for a day.

export interface TestCa {
  dir: string;
  caFile: string;
  /** Signs a certificate; `names` become DNS subject alternative names. Returns the PEM paths. */
  issue(name: string, options: { names?: string[]; usage: 'serverAuth' | 'clientAuth' | 'serverAuth,clientAuth' }): { certFile: string; keyFile: string };
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestCa(commonName = 'hookyard test CA'): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookyard-ca-'));
  const caFile = path.join(dir, 'ca.pem');
  openssl(
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', `/CN=${commonName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return {
    dir,
    caFile,
    issue(name, options) {
      const keyFile = path.join(dir, `${name}.key`);
      const certFile = path.join(dir, `${name}.pem`);
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      const ext = [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature',
        `extendedKeyUsage=${options.usage}`,
        ...(options.names?.length ? [`subjectAltName=${options.names.map((n) => `DNS:${n}`).join(',')}`] : []),
      ];
      writeFileSync(path.join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', certFile, '-extfile', `${name}.ext`], dir);
      return { certFile, keyFile };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
