/** report.html: the report as one self-contained page (inline CSS and SVG charts, no scripts). */
import type { LoadtestReport, Percentiles } from './report.js';
import { escapeXml, lineChart } from './svg-chart.js';

const ms = (p: Percentiles): string => (p.samples === 0 ? 'n/a' : `p50 ${p.p50} · p90 ${p.p90} · p99 ${p.p99} · max ${p.max} ms (${p.samples} calls)`);

function row(label: string, value: string): string {
  return `<tr><th>${escapeXml(label)}</th><td>${escapeXml(value)}</td></tr>`;
}

export function renderReportHtml(r: LoadtestReport): string {
  const s = r.summary;
  const ok = s.callsFailed === 0;
  const charts = [
    lineChart({ id: 'chart-call-rate', title: 'Calls per second', xLabel: 'time (s)', yLabel: 'calls/s', series: [
      { name: 'created', color: '#1f77b4', points: r.series.sipp.map((p) => [p.t, p.callRate] as const) },
    ] }),
    lineChart({ id: 'chart-concurrent', title: 'Concurrent calls', xLabel: 'time (s)', yLabel: 'calls', series: [
      { name: 'alive', color: '#2ca02c', points: r.series.sipp.map((p) => [p.t, p.currentCalls] as const) },
      { name: 'failed (total)', color: '#d62728', points: r.series.sipp.map((p) => [p.t, p.failed] as const) },
    ] }),
    lineChart({ id: 'chart-cpu', title: `CPU of ${r.peer.kind}`, xLabel: 'time (s)', yLabel: '% of one core', series: [
      { name: 'cpu %', color: '#ff7f0e', points: r.series.process.slice(1).map((p) => [p.t, p.cpuPercent] as const) },
    ] }),
    lineChart({ id: 'chart-memory', title: `Memory (RSS) of ${r.peer.kind}`, xLabel: 'time (s)', yLabel: 'MiB', series: [
      { name: 'rss MiB', color: '#9467bd', points: r.series.process.map((p) => [p.t, p.rssMiB] as const) },
    ] }),
    lineChart({ id: 'chart-response-time', title: 'Response time (INVITE → 200)', xLabel: 'time (s)', yLabel: 'ms', series: [
      { name: 'p50', color: '#1f77b4', points: r.series.responseTime.map((p) => [p.t, p.p50] as const) },
      { name: 'p90', color: '#ff7f0e', points: r.series.responseTime.map((p) => [p.t, p.p90] as const) },
      { name: 'p99', color: '#d62728', points: r.series.responseTime.map((p) => [p.t, p.p99] as const) },
    ] }),
  ];
  const a = s.audio;
  const g = a.gateway;
  const rows = [
    row('Result', ok ? `all ${s.callsSuccessful} calls succeeded` : `${s.callsFailed} of ${s.callsAttempted} calls FAILED`),
    row('Peer', r.peer.description),
    row('Load', `${r.options.calls} calls at ${r.options.rate}/s, ${r.options.durationSec} s each, at most ${r.options.concurrency} at once, scenario ${r.options.scenario}${r.options.audio ? ', with audio' : ''}`),
    row('Achieved', `${s.achievedRate} calls/s over ${s.elapsedSec} s, peak ${s.maxConcurrentCalls} concurrent, ${s.retransmissions} retransmissions`),
    row('Failures', Object.keys(s.failures).length ? Object.entries(s.failures).map(([k, v]) => `${k} ${v}`).join(', ') : 'none'),
    row('Response time', ms(s.responseTimeMs)),
    row('CPU', s.cpu ? `mean ${s.cpu.meanPercent}% · max ${s.cpu.maxPercent}% · ${s.cpu.cpuSeconds} s total · ${s.cpu.cpuMsPerCall ?? 'n/a'} ms per call` : 'not sampled'),
    row('Memory', s.memory ? `start ${s.memory.startMiB} MiB · peak ${s.memory.peakMiB} MiB · end ${s.memory.endMiB} MiB · ${s.memory.perConcurrentCallKiB ?? 'n/a'} KiB per concurrent call` : 'not sampled'),
    row('Kernel UDP drops', `${a.kernelUdpDrops} (${a.sources.join('; ')})`),
    ...(g ? [row('Gateway audio', `${g.calls} calls · in ${g.packetsIn} · lost ${g.packetsLost} (${g.lossPercent ?? 'n/a'}%) · jitter mean ${g.jitterMsMean ?? 'n/a'} ms, max ${g.jitterMsMax ?? 'n/a'} ms · out ${g.packetsOut} (pacer sent ${g.framesSent ?? 'n/a'}) of ${g.expectedPacketsOut} expected (short ${g.outShortfallPercent ?? 'n/a'}%) · late frames ${g.lateFrames ?? 'not reported'}`),
      row('Gateway setup time', ms(g.setupMs))] : []),
    ...a.notes.map((n) => row('Note', n)),
    row('Machine', `${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}`),
    row('Run', `${r.startedAt} → ${r.finishedAt}`),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trunkgate load test ${escapeXml(r.startedAt)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px} .verdict{font-weight:600;color:${ok ? '#1a7f37' : '#b42318'}}
table{border-collapse:collapse;margin:12px 0 20px;background:#fff} th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:13px;vertical-align:top} th{background:#f2f2f2;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:12px} .chart{border:1px solid #ddd;background:#fff}
pre{background:#fff;border:1px solid #ddd;padding:8px;font-size:12px;overflow:auto}
</style></head><body>
<h1>trunkgate load test</h1>
<p class="verdict">${ok ? 'PASS' : 'FAIL'}: ${s.callsSuccessful} successful, ${s.callsFailed} failed</p>
<table id="summary">${rows.join('')}</table>
<div class="charts">${charts.join('\n')}</div>
${r.sipp.errorLines ? `<h2>SIPp errors (${r.sipp.errorLines} lines, first 20)</h2><pre>${escapeXml(r.sipp.errorsExcerpt)}</pre>` : ''}
<p><small>SIPp: <code>sipp ${escapeXml(r.sipp.args.join(' '))}</code></small></p>
</body></html>
`;
}
