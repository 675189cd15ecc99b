import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { configSchema, parseConfig } from '../../../src/config';
import { createMetrics } from '../../../src/metrics/metrics';

// deploy/k8s/ is checked against the Kubernetes JSON schemas (kubernetes-models ships them
// compiled, KEDA's CRD schema included) and against the app: every variable it sets is one the
// config schema knows and the ConfigMap parses, every command is an npm script, the probes and
// Service point at declared ports, the worker's grace period outlasts its drain, and the
// autoscaler reads a metric the processes expose.

const root = path.resolve(__dirname, '../../..');
const dir = path.join(root, 'deploy/k8s');

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

const MODELS: Record<string, { new (data: any): { validate(): void } }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

// The worker's shutdownGraceTime in src/worker.ts: the time it lets attempts in flight finish.
const WORKER_SHUTDOWN_GRACE_SECONDS = 10;

const kustomization = parseAllDocuments(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
const manifests: (Manifest & { file: string })[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((doc) => ({ ...(doc.toJS() as Manifest), file })),
);
const find = (kind: string, name: string) => {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return m;
};
const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const configMap = () => find('ConfigMap', 'hookyard-config');
const podSpecs = () =>
  manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'Job').map((m) => ({ name: m.metadata.name, kind: m.kind, spec: m.spec.template.spec, labels: m.spec.template.metadata.labels }));

// The Kubernetes schemas leave unknown fields open, so a misspelt `readinesProbe` would pass
// them and be dropped by the API server. The models' type declarations list every field: walk
// each manifest along them and report any key the API does not have.
const modelsRoot = path.join(root, 'node_modules');
const DECLARATIONS: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap.d.ts',
  'v1/Service': 'kubernetes-models/v1/Service.d.ts',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment.d.ts',
  'batch/v1/Job': 'kubernetes-models/batch/v1/Job.d.ts',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget.d.ts',
  'keda.sh/v1alpha1/ScaledObject': '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject.d.ts',
};
const fieldCache = new Map<string, Map<string, string | null> | null>();

/** The fields of the first interface in a declaration file, each with the file of its object type (or null). */
function declaredFields(file: string): Map<string, string | null> | null {
  if (fieldCache.has(file)) return fieldCache.get(file)!;
  const text = readFileSync(file, 'utf8');
  const imports = new Map([...text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)].map((m) => [m[1]!, m[2]!]));
  const body = /export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/.exec(text)?.[1];
  let fields: Map<string, string | null> | null = null;
  if (body) {
    fields = new Map();
    for (const m of body.matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)) {
      const ref = [...imports.keys()].find((name) => new RegExp(`^(Array<)?${name}>?;$`).test(m[2]!));
      const from = ref ? imports.get(ref)! : null;
      const resolved = from ? (from.startsWith('.') ? path.resolve(path.dirname(file), from) : path.join(modelsRoot, from)) + '.d.ts' : null;
      fields.set(m[1]!, resolved && existsSync(resolved) ? resolved : null);
    }
  }
  fieldCache.set(file, fields);
  return fields;
}

function unknownKeys(value: unknown, file: string, at: string): string[] {
  const fields = declaredFields(file);
  if (!fields || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unknownKeys(item, file, `${at}[${i}]`));
  return Object.entries(value).flatMap(([key, child]) => {
    if (!fields.has(key)) return [`${at}.${key}`];
    const ref = fields.get(key);
    return ref ? unknownKeys(child, ref, `${at}.${key}`) : [];
  });
}

describe('deploy/k8s manifests', () => {
  it('the kustomization lists every manifest in the folder', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it.each(manifests.map((m) => [`${m.kind} ${m.metadata.name} (${m.file})`, m] as const))('%s is valid by its Kubernetes JSON schema', (_label, manifest) => {
    const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
    expect(Model).toBeDefined();
    expect(() => new Model!(manifest).validate()).not.toThrow();
  });

  it.each(manifests.map((m) => [`${m.kind} ${m.metadata.name}`, m] as const))('%s uses only fields the Kubernetes API has', (_label, manifest) => {
    const declaration = path.join(modelsRoot, DECLARATIONS[`${manifest.apiVersion}/${manifest.kind}`]!);
    const { file: _file, ...object } = manifest;
    expect(unknownKeys(object, declaration, manifest.kind)).toEqual([]);
  });

  it('the field check catches a misspelt probe and a misplaced key', () => {
    const api = structuredClone(find('Deployment', 'hookyard-api'));
    const { file: _file, ...object } = api;
    object.spec.template.spec.containers[0].readinesProbe = {};
    object.spec.template.spec.containers[0].resources.requests = { cpu: '1' };
    object.spec.template.spec.containers[0].livenessProbe.httpGet = { path: '/', port: 'http', periodSeconds: 5 };
    expect(unknownKeys(object, path.join(modelsRoot, DECLARATIONS['apps/v1/Deployment']!), 'Deployment')).toEqual([
      'Deployment.spec.template.spec.containers[0].livenessProbe.httpGet.periodSeconds',
      'Deployment.spec.template.spec.containers[0].readinesProbe',
    ]);
  });

  it('the schema check catches a wrong type and a missing required field', () => {
    const worker = structuredClone(find('Deployment', 'hookyard-worker'));
    worker.spec.replicas = 'two';
    expect(() => new Deployment(worker as never).validate()).toThrow(/replicas/);
    const noSelector = structuredClone(find('Deployment', 'hookyard-api'));
    delete noSelector.spec.selector;
    expect(() => new Deployment(noSelector as never).validate()).toThrow(/selector/);
  });

  it('sets only variables the config schema knows, and they parse as a valid configuration with the secrets', () => {
    const known = new Set(Object.keys(configSchema.shape));
    const data = configMap().data!;
    expect(Object.keys(data).filter((k) => !known.has(k))).toEqual([]);
    // The Secret's keys, with stand-in values.
    const secrets = { DATABASE_URL: 'postgres://hookyard@db/hookyard', ADMIN_TOKEN: 'x'.repeat(32), WEBHOOK_INBOUND_SECRET: 'inbound' };
    expect(() => parseConfig({ ...data, ...secrets })).not.toThrow();
  });

  it('runs npm scripts that exist, with the ConfigMap and the Secret, in every pod', () => {
    for (const pod of podSpecs()) {
      for (const c of pod.spec.containers) {
        const [npm, run, script] = c.command as string[];
        expect({ pod: pod.name, npm, run, script: scripts[script!] ? script : `missing script ${script}` }).toEqual({ pod: pod.name, npm: 'npm', run: 'run', script });
        expect(c.envFrom).toEqual([{ configMapRef: { name: 'hookyard-config' } }, { secretRef: { name: 'hookyard-secrets' } }]);
        expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
        expect(c.resources.limits.memory).toBeDefined();
      }
    }
    expect(find('Job', 'hookyard-migrate').spec.template.spec.containers[0].command).toEqual(['npm', 'run', 'migrate']);
  });

  it('gives every long-running container readiness, liveness and startup probes on its declared ports', () => {
    for (const m of manifests.filter((x) => x.kind === 'Deployment')) {
      for (const c of m.spec.template.spec.containers) {
        const ports = new Set((c.ports ?? []).map((p: { name: string }) => p.name));
        for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          expect({ deployment: m.metadata.name, probe, set: Boolean(c[probe]) }).toEqual({ deployment: m.metadata.name, probe, set: true });
          const port = c[probe].httpGet?.port ?? c[probe].tcpSocket?.port;
          expect(ports.has(port)).toBe(true);
        }
      }
    }
    // Only the api answers /health; the worker's /metrics server is its sign of life.
    expect(find('Deployment', 'hookyard-api').spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe('/health');
    expect(find('Deployment', 'hookyard-worker').spec.template.spec.containers[0].ports[0].containerPort).toBe(Number(configMap().data!.WORKER_METRICS_PORT));
  });

  it('routes the api Service to the api pods, on the port the api listens on', () => {
    const service = find('Service', 'hookyard-api');
    const api = find('Deployment', 'hookyard-api');
    expect(api.spec.template.metadata.labels).toEqual(expect.objectContaining(service.spec.selector));
    expect(find('Deployment', 'hookyard-worker').spec.template.metadata.labels).not.toEqual(expect.objectContaining(service.spec.selector));
    const container = api.spec.template.spec.containers[0];
    const target = container.ports.find((p: { name: string }) => p.name === service.spec.ports[0].targetPort);
    expect(target.containerPort).toBe(Number(configMap().data!.PORT));
    expect(find('PodDisruptionBudget', 'hookyard-api').spec.selector.matchLabels).toEqual(api.spec.selector.matchLabels);
  });

  it('gives the worker a graceful-stop period longer than its drain', () => {
    const worker = find('Deployment', 'hookyard-worker');
    const drainSeconds = WORKER_SHUTDOWN_GRACE_SECONDS + Number(configMap().data!.WEBHOOK_TIMEOUT);
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds);
  });

  it('scales the worker Deployment with KEDA on a backlog metric the processes expose', async () => {
    const scaled = find('ScaledObject', 'hookyard-worker');
    expect(scaled.spec.scaleTargetRef.name).toBe(find('Deployment', 'hookyard-worker').metadata.name);
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    const trigger = scaled.spec.triggers[0];
    expect(trigger.type).toBe('prometheus');
    const metric = /\b(webhook_[a-z_]+)\b/.exec(trigger.metadata.query)?.[1];
    expect(metric).toBe('webhook_queue_depth');
    const exposed = await createMetrics({ queueDepth: async () => 0, startBacklog: () => 0 }).expose();
    expect(exposed).toContain(`# TYPE ${metric} gauge`);
    // The Deployment leaves its replica count to the autoscaler.
    expect(find('Deployment', 'hookyard-worker').spec.replicas).toBeUndefined();
  });
});
