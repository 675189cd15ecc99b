import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { configSchema } from '../../../src/config';
import { SEARCH_ATTRIBUTES } from '../../../src/temporal/search-attributes';

// Docker cannot run here, so docker-compose.yml is checked two ways: its structure against the
// compose-spec JSON schema (as shipped by dclint), and its Temporal setup against what
// `npm run test:production` runs on the server built from source (same version, PostgreSQL
// persistence, shards, search attributes), with only the api reachable from outside the host.

const root = path.resolve(__dirname, '../../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; ports?: string[]; environment?: Record<string, string>; command?: string[] | string; depends_on?: Record<string, { condition: string }> | string[] }>;
};
const services = compose.services;

/** The server version the install script builds, without the leading v. */
function builtServerVersion(): string {
  const script = readFileSync(path.join(root, 'scripts/install-temporal-server.sh'), 'utf8');
  const m = /TEMPORAL_SERVER_VERSION:-v([\d.]+)/.exec(script);
  if (!m) throw new Error('scripts/install-temporal-server.sh names no server version');
  return m[1]!;
}

/** The compose-spec schema, as dclint ships it (the package does not export the file, hence the path). */
function composeSchemaValidator() {
  const schema = JSON.parse(readFileSync(path.join(root, 'node_modules/dclint/schemas/compose.schema.json'), 'utf8'));
  // It names draft-07 by an https URI that ajv does not know; its keywords are draft-07's.
  return new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(schema);
}

describe('docker-compose.yml', () => {
  it('is a valid Compose file by the compose-spec schema', () => {
    const validate = composeSchemaValidator();
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check catches a misspelt key', () => {
    const validate = composeSchemaValidator();
    const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    broken.services.api!.depend_on = broken.services.api!.depends_on;
    expect(validate(broken)).toBe(false);
  });

  it('runs the Temporal server version that the production test builds, with its schema tool and admin tools', () => {
    const version = builtServerVersion();
    expect(services.temporal?.image).toBe(`temporalio/server:${version}`);
    expect(services['temporal-schema']?.image).toBe(`temporalio/admin-tools:${version}`);
    expect(services['temporal-setup']?.image).toBe(`temporalio/admin-tools:${version}`);
  });

  it('persists Temporal to PostgreSQL with at least 4 history shards, both schemas set up by the SQL tool', () => {
    const env = services.temporal!.environment!;
    expect(env.DB).toBe('postgres12');
    expect(env.POSTGRES_SEEDS).toBe('postgres');
    expect(Number(env.NUM_HISTORY_SHARDS)).toBeGreaterThanOrEqual(4);
    const setup = JSON.stringify(services['temporal-schema']!.command);
    for (const schema of ['postgresql/v12/temporal', 'postgresql/v12/visibility']) expect(setup).toContain(schema);
    expect(setup).toContain('update-schema');
    expect(services.temporal!.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
  });

  it('registers exactly the search attributes the workflows set, in the namespace the app uses', () => {
    const setup = JSON.stringify(services['temporal-setup']!.command);
    const registered = [...setup.matchAll(/(Webhook\w+)=(Keyword|Int)/g)].map((m) => ({ name: m[1], type: m[2] }));
    expect(registered).toEqual(SEARCH_ATTRIBUTES);
    expect(setup).toContain('namespace create --namespace default');
    expect(services.api!.environment!.TEMPORAL_NAMESPACE).toBe('default');
  });

  it('publishes only the api beyond loopback; the Temporal frontend and the read-only UI listen on 127.0.0.1', () => {
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, port: String(p) })));
    const open = published.filter((p) => !p.port.startsWith('127.0.0.1:'));
    expect(open.map((p) => p.name)).toEqual(['api']);
    expect(services.temporal!.ports).toEqual(['127.0.0.1:7233:7233']);
    expect(services['temporal-ui']!.ports).toEqual(['127.0.0.1:8233:8080']);
    expect(services['temporal-ui']!.environment!.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(services.postgres!.ports).toBeUndefined();
  });

  it('gives the api and the worker only variables the config schema knows', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const name of ['api', 'worker']) {
      const unknown = Object.keys(services[name]!.environment!).filter((v) => !known.has(v));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
    expect(services.worker!.command).toEqual(['npm', 'run', 'worker']);
    expect(services.api!.command).toEqual(['npm', 'run', 'api']);
  });
});
