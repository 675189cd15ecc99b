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
}

const EMPTY: Form = { name: '', url: '', events: '', description: '', signature_version: 'both', transform: '', headers: '', active: true };

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
  const known = ['url', 'events', 'name', 'description', 'signature_version', 'transform', 'headers', 'active'];
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
        </select>
        {fieldError('signature_version')}
      </div>
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

