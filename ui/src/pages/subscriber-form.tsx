import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { CopyButton } from '../components/copy-button';
import { HealthPanel } from '../components/health-badge';
import { ProtectionPanel } from '../components/protection-panel';
import { Link } from '../components/link';
import { ErrorBox, Loading, Notice } from '../components/states';
import { navigate } from '../router';
import type { Subscriber } from '../types';
import { useApi } from '../use-api';

interface Form {
  name: string;
  url: string;
  events: string;
  description: string;
  signature_version: string;
  transform: string;
  headers: string;
  active: boolean;
  ordered_delivery: boolean;
  ordering_on_dead: 'block' | 'skip';
}

const EMPTY: Form = { name: '', url: '', events: '', description: '', signature_version: 'both', transform: '', headers: '', active: true, ordered_delivery: false, ordering_on_dead: 'block' };

const fromSubscriber = (s: Subscriber): Form => ({
  name: s.name ?? '',
  url: s.url,
  events: s.events.join(', '),
  description: s.description ?? '',
  signature_version: s.signature_version,
  transform: s.transform ?? '',
  headers: Object.entries(s.headers ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n'),
  active: s.active,
  ordered_delivery: s.ordered_delivery,
  ordering_on_dead: s.ordering_on_dead,
});

function toBody(f: Form, creating: boolean) {
  const headers: Record<string, string> = {};
  for (const line of f.headers.split('\n')) {
    const i = line.indexOf(':');
    if (line.trim() && i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    else if (line.trim()) headers[line.trim()] = '';
  }
  return {
    url: f.url.trim(),
    events: f.events
      .split(/[,\s]+/)
      .map((e) => e.trim())
      .filter(Boolean),
    ...(f.name.trim() || !creating ? { name: f.name.trim() } : {}),
    ...(f.description.trim() || !creating ? { description: f.description.trim() } : {}),
    signature_version: f.signature_version,
    transform: f.transform.trim() || null,
    headers,
    ordered_delivery: f.ordered_delivery,
    ordering_on_dead: f.ordering_on_dead,
    ...(creating ? { active: f.active } : {}),
  };
}

export function SubscriberForm({ id }: { id: string | null }) {
  const existing = useApi<Subscriber>(id ? `/subscribers/${encodeURIComponent(id)}` : null);
  const [form, setForm] = useState<Form>(EMPTY);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Subscriber | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (existing.data) setForm(fromSubscriber(existing.data));
  }, [existing.data]);

  if (id && existing.error) return <ErrorBox error={existing.error} retry={existing.reload} />;
  if (id && !existing.data) return <Loading what="Loading the subscriber" />;

  if (created) {
    return (
      <div class="secret" role="region" aria-label="Subscriber created">
        <p>
          Created <strong>{created.name || created.url}</strong>. Its signing secret is shown <strong>once</strong>: copy it now.
        </p>
        <p>
          <code class="wrap">{created.secret}</code> <CopyButton text={created.secret} label="Copy secret" />
        </p>
        {created.public_key && <PublicKey publicKey={created.public_key} />}
        <Link href="/subscribers" class="button">
          Back to subscribers
        </Link>
      </div>
    );
  }

  const set = (k: keyof Form) => (e: Event) => {
    const t = e.currentTarget as HTMLInputElement;
    setForm({ ...form, [k]: t.type === 'checkbox' ? t.checked : t.value });
    setSaved(false);
  };
  const fieldError = (name: string) => {
    const m = error?.forField(name);
    return m ? (
      <span class="field-error" id={`${name}-error`}>
        {m}
      </span>
    ) : null;
  };
  const described = (name: string) => (error?.forField(name) ? `${name}-error` : undefined);
  const known = ['url', 'events', 'name', 'description', 'signature_version', 'transform', 'headers', 'active', 'ordered_delivery', 'ordering_on_dead'];
  const other = error && (error.details.length === 0 || error.details.some((d) => !known.includes(d.field.split('.')[0]!)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (id) {
        await api('PATCH', `/subscribers/${encodeURIComponent(id)}`, toBody(form, false));
        setSaved(true);
        existing.reload();
      } else {
        setCreated(await api<Subscriber>('POST', '/subscribers', toBody(form, true)));
      }
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} noValidate>
      {other && <ErrorBox error={error} />}
      <Notice text={saved ? 'Saved.' : null} />
      <div class="field">
        <label for="name">Name</label>
        <input id="name" value={form.name} onInput={set('name')} aria-invalid={!!error?.forField('name')} aria-describedby={described('name')} />
        {fieldError('name')}
      </div>
      <div class="field">
        <label for="url">URL</label>
        <input id="url" type="url" required value={form.url} onInput={set('url')} placeholder="https://example.com/webhooks" aria-invalid={!!error?.forField('url')} aria-describedby={described('url')} />
        {fieldError('url')}
      </div>
      <div class="field">
        <label for="events">Event patterns</label>
        <input id="events" required value={form.events} onInput={set('events')} placeholder="order.*, invoice.paid" aria-invalid={!!error?.forField('events')} aria-describedby={described('events') ?? 'events-help'} />
        <span class="muted" id="events-help">
          Comma-separated: names, prefix wildcards such as order.*, or *.
        </span>
        {fieldError('events')}
      </div>
      <div class="field">
        <label for="description">Description</label>
        <textarea id="description" rows={2} value={form.description} onInput={set('description')} aria-describedby={described('description')} />
        {fieldError('description')}
      </div>
      <div class="field">
        <label for="signature_version">Signature</label>
        <select id="signature_version" value={form.signature_version} onChange={set('signature_version')}>
          <option value="both">both (X-Agent-Signature and Standard Webhooks)</option>
          <option value="v1">v1 (X-Agent-Signature)</option>
          <option value="v2">v2 (Standard Webhooks)</option>
          <option value="v1a">v1a (Standard Webhooks ed25519: receivers verify with the public key)</option>
          <option value="v2+v1a">v2+v1a (HMAC and ed25519)</option>
          <option value="all">all (v1, v2 and v1a)</option>
        </select>
        {fieldError('signature_version')}
      </div>
      {id && existing.data?.public_key && <PublicKey publicKey={existing.data.public_key} />}
      <div class="field check">
        <input id="ordered_delivery" type="checkbox" checked={form.ordered_delivery} onChange={set('ordered_delivery')} aria-describedby="ordered_delivery-help" />
        <label for="ordered_delivery">Ordered delivery per key</label>
        <span class="muted" id="ordered_delivery-help">
          Events with the same ordering key arrive one after another, in the order they were accepted.
        </span>
      </div>
      {form.ordered_delivery && (
        <div class="field">
          <label for="ordering_on_dead">When a keyed delivery dies</label>
          <select id="ordering_on_dead" value={form.ordering_on_dead} onChange={set('ordering_on_dead')}>
            <option value="block">block the key until an operator skips or replays it</option>
            <option value="skip">skip it and go on with the next</option>
          </select>
          {fieldError('ordering_on_dead')}
        </div>
      )}
      <div class="field">
        <label for="transform">Transform</label>
        <input id="transform" value={form.transform} onInput={set('transform')} placeholder="none" aria-describedby={described('transform')} />
        {fieldError('transform')}
      </div>
      <div class="field">
        <label for="headers">Extra headers</label>
        <textarea id="headers" rows={3} value={form.headers} onInput={set('headers')} placeholder="X-Team: payments" aria-describedby={described('headers') ?? 'headers-help'} />
        <span class="muted" id="headers-help">
          One per line, as Name: value.
        </span>
        {fieldError('headers')}
      </div>
      {!id && (
        <div class="field check">
          <input id="active" type="checkbox" checked={form.active} onChange={set('active')} />
          <label for="active">Active</label>
        </div>
      )}
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : id ? 'Save changes' : 'Create subscriber'}
        </button>
        <Link href="/subscribers">Cancel</Link>
        {id && (
          <button
            type="button"
            class="danger"
            onClick={async () => {
              if (!window.confirm('Delete this subscriber?')) return;
              try {
                await api('DELETE', `/subscribers/${encodeURIComponent(id)}`);
                navigate('/subscribers');
              } catch (err) {
                setError(err as ApiError);
              }
            }}
          >
            Delete
          </button>
        )}
      </div>
      {id && (
        <section aria-label="Health">
          <h2>Health</h2>
          <HealthPanel id={id} />
          <h3>Protection</h3>
          <ProtectionPanel id={id} />
          <p>
            <Link href={`/deliveries?subscriber_id=${encodeURIComponent(id)}`}>This subscriber's deliveries</Link>
          </p>
        </section>
      )}
    </form>
  );
}

/** The v1a public key: safe to show and to share, since it cannot sign. */
function PublicKey({ publicKey }: { publicKey: string }) {
  return (
    <div class="field" role="group" aria-labelledby="public-key-label">
      <span id="public-key-label">Public key (v1a)</span>
      <p>
        <code class="wrap" aria-label="Public key">
          {publicKey}
        </code>{' '}
        <CopyButton text={publicKey} label="Copy public key" />
      </p>
      <span class="muted">Receivers verify v1a (ed25519) signatures with it. It cannot sign, so it need not be kept secret.</span>
    </div>
  );
}
