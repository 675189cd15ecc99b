import { useEffect, useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { query } from '../api';
import { Chart } from '../charts/chart';
import { Link } from '../components/link';
import { subscriberName } from '../components/subscriber-select';
import { Empty, ErrorBox, Loading } from '../components/states';
import { ms, percent } from '../format';
import { readStats, type StatsResponse } from '../stats';
import type { Subscriber } from '../types';
import { useApi } from '../use-api';

const WINDOWS = [
  { key: '1h', label: 'Last hour', ms: 3600_000, bucket: '1m' },
  { key: '24h', label: 'Last 24 hours', ms: 86_400_000, bucket: '1h' },
  { key: '7d', label: 'Last 7 days', ms: 7 * 86_400_000, bucket: '6h' },
] as const;

/** How often the dashboard moves its window to now by itself. */
const REFRESH_MS = 5000;
const OK = '#1a7f37';
const BAD = '#c62828';

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div class="tile">
      <span class="tile-label">{label}</span>
      <span class="tile-value">{value}</span>
    </div>
  );
}

export function Dashboard() {
  const [win, setWin] = useState<(typeof WINDOWS)[number]['key']>('1h');
  const w = WINDOWS.find((x) => x.key === win)!;
  // The window ends now; it moves on at each refresh, by itself every REFRESH_MS while the tab
  // is visible (new attempts land, the queue drains), or at once with the Refresh button.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => {
      if (!document.hidden) setNow(Date.now());
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  const path = `/stats${query({ from: new Date(now - w.ms).toISOString(), to: new Date(now).toISOString(), bucket: w.bucket })}`;
  const raw = useApi<StatsResponse>(path, { view: w.key });
  const subs = useApi<{ data: Subscriber[] }>('/subscribers');
  const s = useMemo(() => (raw.data ? readStats(raw.data) : null), [raw.data]);

  const outcome = useMemo(
    () =>
      s
        ? {
            data: [s.series.map((b) => b.at), s.series.map((b) => b.succeeded), s.series.map((b) => b.failed)] as uPlot.AlignedData,
            series: [
              { label: 'Succeeded', stroke: OK, width: 2 },
              { label: 'Failed', stroke: BAD, width: 2 },
            ],
          }
        : null,
    [s],
  );
  const latency = useMemo(
    () =>
      s
        ? {
            data: [s.series.map((b) => b.at), s.series.map((b) => b.p50), s.series.map((b) => b.p95), s.series.map((b) => b.p99)] as uPlot.AlignedData,
            series: [
              // Points as well as lines: buckets without attempts leave gaps.
              { label: 'p50 ms', stroke: '#1565c0', width: 2, points: { show: true, size: 6 } },
              { label: 'p95 ms', stroke: '#6a1b9a', width: 2, points: { show: true, size: 6 } },
              { label: 'p99 ms', stroke: '#b45309', width: 2, points: { show: true, size: 6 } },
            ],
          }
        : null,
    [s],
  );
  const retries = useMemo(
    () => (s ? { data: [s.retries.map((r) => r.attempt), s.retries.map((r) => r.count)] as uPlot.AlignedData, series: [{ label: 'Attempts', stroke: '#1565c0' }] } : null),
    [s],
  );
  const failing = s ? s.bySubscriber.filter((x) => x.failed > 0).sort((a, b) => b.failed - a.failed).slice(0, 5) : [];
  const hasLatencySeries = s ? s.series.some((b) => b.p50 !== null) : false;

  return (
    <>
      <div class="toolbar">
        <div class="field">
          <label for="dash-window">Window</label>
          <select id="dash-window" value={win} onChange={(e) => setWin(e.currentTarget.value as typeof win)}>
            {WINDOWS.map((x) => (
              <option key={x.key} value={x.key}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
        <button type="button" onClick={() => setNow(Date.now())}>
          Refresh
        </button>
      </div>
      <ErrorBox error={raw.error} retry={raw.reload} />
      {raw.loading && !s && <Loading what="Loading statistics" />}
      {s && (
        <>
          <div class="tiles">
            <Tile label="Success rate" value={percent(s.successRate)} />
            <Tile label="Attempts" value={String(s.total)} />
            <Tile label="Latency p50" value={ms(s.latency.p50)} />
            <Tile label="Latency p95" value={ms(s.latency.p95)} />
            <Tile label="Latency p99" value={ms(s.latency.p99)} />
            <Tile label="Queue depth" value={String(s.queueDepth)} />
          </div>
          {s.total === 0 && <Empty>No attempt in this window yet. Send one from the Sandbox.</Empty>}
          <div class="charts">
            {outcome && s.series.length > 0 && <Chart label="Succeeded and failed attempts over time" data={outcome.data} series={outcome.series} yLabel="attempts" />}
            {latency && hasLatencySeries && <Chart label="Attempt latency percentiles over time (ms)" data={latency.data} series={latency.series} yLabel="ms" />}
            {retries && s.retries.length > 0 && <Chart label="Attempts by attempt number (retries)" data={retries.data} series={retries.series} time={false} bars yLabel="attempts" xLabel="Attempt number" />}
          </div>
          <h2>Subscribers that fail most</h2>
          {failing.length === 0 ? (
            <Empty>No failures in this window.</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="sr-only">Subscribers that fail most</caption>
                <thead>
                  <tr>
                    <th scope="col">Subscriber</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Success rate</th>
                  </tr>
                </thead>
                <tbody>
                  {failing.map((x) => (
                    <tr key={x.id}>
                      <td data-label="Subscriber" class="wrap">
                        <Link href={`/deliveries${query({ subscriber_id: x.id })}`}>{subscriberName(subs.data?.data, x.id)}</Link>
                      </td>
                      <td data-label="Failed">{x.failed}</td>
                      <td data-label="Attempts">{x.total}</td>
                      <td data-label="Success rate">{percent(x.successRate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {s.byEvent.length > 0 && (
            <>
              <h2>By event type</h2>
              <div class="table-wrap">
                <table>
                  <caption class="sr-only">Attempts by event type</caption>
                  <thead>
                    <tr>
                      <th scope="col">Event type</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Failed</th>
                      <th scope="col">Success rate</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.byEvent.map((x) => (
                      <tr key={x.event}>
                        <td data-label="Event type" class="wrap">
                          <Link href={`/deliveries${query({ event: x.event })}`}>{x.event}</Link>
                        </td>
                        <td data-label="Attempts">{x.total}</td>
                        <td data-label="Failed">{x.failed}</td>
                        <td data-label="Success rate">{percent(x.successRate)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </>
      )}
    </>
  );
}

