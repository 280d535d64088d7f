/**
 * deploy/prometheus and deploy/grafana against a real server: every metric the dashboard and the
 * alert rules read is one that `GET /metrics` exports, the rules pass promtool (syntax and their
 * own unit tests, alerts.test.yml), and Grafana is provisioned with what the dashboard asks for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { memoryCache } from '../../src/pipeline/memory-cache';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { startDialogueServer } from '../server/server-fixtures';
import { deployText, exportedNames, metricNamesIn, PROMETHEUS_OWN, promtool, yamlFile } from './deploy-files';

interface Target { readonly expr: string }
interface Panel { readonly title: string; readonly type: string; readonly datasource?: { type: string; uid: string }; readonly targets?: readonly Target[] }
interface Variable { readonly name: string; readonly type: string; readonly query: string | { query: string } }
interface Dashboard { readonly uid: string; readonly panels: readonly Panel[]; readonly templating: { list: readonly Variable[] } }
interface Rule { readonly alert?: string; readonly record?: string; readonly expr: string; readonly for?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> }
interface ScrapeConfig { readonly job_name: string; readonly metrics_path?: string; readonly authorization?: { type: string; credentials_file: string } }

const JOB = 'dialogue-pipeline';
const dashboard = JSON.parse(deployText('grafana/dashboards/dialogue-pipeline.json')) as Dashboard;
const rules = yamlFile<{ groups: Array<{ name: string; rules: Rule[] }> }>('prometheus/alerts.yml').groups.flatMap((group) => group.rules);
const prometheus = yamlFile<{ rule_files: string[]; scrape_configs: ScrapeConfig[] }>('prometheus/prometheus.yml');

/** Every query of the dashboard, named by where it is. */
const dashboardQueries = (): Array<{ where: string; expr: string }> => [
  ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map(({ expr }) => ({ where: `panel "${panel.title}"`, expr }))),
  ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => {
    const query = typeof v.query === 'string' ? v.query : v.query.query;
    return { where: `variable $${v.name}`, expr: /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1] ?? query };
  }),
];
const ruleQueries = () => rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr }));

/** Grafana's variables, as a Prometheus query would see them. */
const asPromQL = (expr: string): string => expr
  .replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1h').replaceAll('$job', JOB).replaceAll('$instance', '.*');

describe('deploy/prometheus and deploy/grafana', () => {
  let exported: Map<string, string>;
  beforeAll(async () => {
    const running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })], cache: memoryCache() });
    try {
      const response = await fetch(`${running.origin}/metrics`);
      exported = exportedNames(await response.text());
    } finally {
      await running.close();
    }
  });

  it('finds the metric names of a query (not its functions, labels, ranges or keywords)', () => {
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le) (rate(x_bucket{job="j", le!="1"}[5m] offset 1d))) > 5 and on(instance) up == 0')).toEqual(['x_bucket', 'up']);
    expect(metricNamesIn('sum(rate(a_total[$__rate_interval])) / clamp_min(sum without (kind) (b), 1e-9) unless bool c')).toEqual(['a_total', 'b', 'c']);
  });

  it('reads only metrics a real server exports (or Prometheus\' own up), in every dashboard query and every rule', () => {
    const queries = [...dashboardQueries(), ...ruleQueries()];
    expect(queries.filter(({ expr }) => metricNamesIn(expr).length === 0)).toEqual([]);
    const unknown = queries.flatMap(({ where, expr }) => metricNamesIn(expr).filter((name) => !exported.has(name) && !PROMETHEUS_OWN.has(name)).map((name) => `${where}: ${name}`));
    expect(unknown).toEqual([]);
  });

  it('charts requests by outcome, TTFT and stage percentiles, cache hit ratio, retries and breakers per expert, tokens and cost', () => {
    const byPanel = new Map(dashboard.panels.filter((panel) => panel.targets !== undefined).map((panel) => [panel.title, panel.targets!.map((t) => t.expr).join('\n')]));
    const panelReading = (pattern: RegExp) => [...byPanel].filter(([, exprs]) => pattern.test(exprs)).map(([title]) => title);
    expect(panelReading(/sum by \(outcome\) \(rate\(dialogue_requests_total\{/)).toEqual(['Requests by outcome']);
    expect(panelReading(/histogram_quantile\(0\.95, sum by \(le\) \(rate\(dialogue_ttft_seconds_bucket\{/)).toEqual(['Time to first token']);
    expect(panelReading(/histogram_quantile\(0\.95, sum by \(le, stage\) \(rate\(dialogue_stage_seconds_bucket\{/)).toEqual(['Stage latency p95']);
    expect(panelReading(/dialogue_cache_hits_total[\s\S]*\/[\s\S]*dialogue_cache_misses_total/)).toEqual(['Cache hit ratio']);
    expect(panelReading(/sum by \(expert\) \(rate\(dialogue_retries_total\{/)).toEqual(['Retries by expert']);
    expect(panelReading(/max by \(expert\) \(dialogue_breaker_state\{/)).toEqual(['Circuit breaker per expert']);
    expect(panelReading(/sum by \(model, direction\) \(rate\(dialogue_tokens_total\{/)).toEqual(['Tokens by model']);
    expect(panelReading(/dialogue_cost_usd_total/)).toEqual(['Cost per hour by model', 'Cost over the range']);
    const quantiles = [...byPanel.values()].flatMap((exprs) => exprs.split('\n')).filter((expr) => expr.includes('histogram_quantile'));
    expect(quantiles.filter((expr) => !/histogram_quantile\(0\.\d+, sum by \(le\b[^)]*\) \(rate\(\w+_bucket\{/.test(expr))).toEqual([]);
    for (const name of ['dialogue_tokens_total', 'dialogue_cost_usd_total']) expect(exported.get(name)).toBe('counter');
  });

  it('filters every dashboard query by $job and $instance, every rule by the job prometheus.yml scrapes', () => {
    expect(prometheus.scrape_configs.map((c) => c.job_name)).toEqual([JOB]);
    /** The metric occurrences of `expr` not followed by `selector`. */
    const unfiltered = (expr: string, selector: string): string[] =>
      metricNamesIn(expr).filter((name) => new RegExp(`(?<![\\w:])${name}(?![\\w:])(?!${selector.replace(/[$.*+?^(){}|[\]\\]/g, '\\$&')})`).test(expr));
    const panels = dashboardQueries().filter(({ where }) => where.startsWith('panel'));
    expect(panels.flatMap(({ where, expr }) => unfiltered(expr, '{job="$job", instance=~"$instance"').map((name) => `${where}: ${name}`))).toEqual([]);
    expect(ruleQueries().flatMap(({ where, expr }) => unfiltered(expr, `{job="${JOB}"`).map((name) => `${where}: ${name}`))).toEqual([]);
  });

  it('names every alert with a severity and a summary, and waits a `for` before firing', () => {
    const alerts = rules.filter((rule) => rule.alert !== undefined);
    expect(alerts.map((rule) => rule.alert)).toEqual([
      'DialogueHighErrorRatio', 'DialogueSlowFirstToken', 'DialogueBreakerOpen', 'DialogueInstanceDown',
      'DialogueInstanceNotReady', 'DialogueNoReadyInstance', 'DialogueCacheHitRatioDrop',
    ]);
    expect(alerts.filter((rule) => !['warning', 'critical'].includes(rule.labels?.severity ?? '') || !rule.annotations?.summary || !rule.for)).toEqual([]);
  });

  it('passes promtool when installed (check rules, the rules\' unit tests, check config, the dashboard\'s queries); without promtool, the rule files still parse', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dialogue-promtool-'));
    try {
      writeFileSync(path.join(dir, 'api-key'), 'key');
      writeFileSync(path.join(dir, 'alerts.yml'), deployText('prometheus/alerts.yml'));
      writeFileSync(path.join(dir, 'prometheus.yml'), deployText('prometheus/prometheus.yml').replace('/run/secrets/dialogue_api_key', path.join(dir, 'api-key')));
      const queries = dashboardQueries().map(({ expr }, index) => ({ record: `dashboard:query_${index}`, expr: asPromQL(expr) }));
      writeFileSync(path.join(dir, 'dashboard-queries.yml'), stringify({ groups: [{ name: 'dashboard', rules: queries }] }));
      const verdicts = [
        promtool(['check', 'rules', 'prometheus/alerts.yml']),
        promtool(['test', 'rules', 'prometheus/alerts.test.yml']),
        promtool(['check', 'config', path.join(dir, 'prometheus.yml')]),
        promtool(['check', 'rules', path.join(dir, 'dashboard-queries.yml')]),
      ];
      if (verdicts[0] === undefined) {
        // promtool is not installed (Debian: apt-get install prometheus): the files parse, and the rule tests name the rules' alerts.
        const tested = yamlFile<{ rule_files: string[]; tests: Array<{ alert_rule_test: Array<{ alertname: string }> }> }>('prometheus/alerts.test.yml');
        expect(tested.rule_files).toEqual(['alerts.yml']);
        const names = new Set(rules.map((rule) => rule.alert));
        expect(tested.tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)).filter((name) => !names.has(name))).toEqual([]);
        expect(prometheus.rule_files).toEqual(['alerts.yml']);
        return;
      }
      expect(verdicts.map((verdict) => ({ status: verdict?.status, output: verdict?.output }))).toEqual(verdicts.map((verdict) => ({ status: 0, output: verdict?.output })));
      expect(verdicts[0]!.output).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(verdicts[3]!.output).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scrapes /metrics with the API key, from a file', () => {
    const [scrape] = prometheus.scrape_configs;
    expect(scrape.metrics_path).toBe('/metrics');
    expect(scrape.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/dialogue_api_key' });
  });

  it('provisions Grafana with the Prometheus data source and the dashboard folder the dashboard needs', () => {
    const { datasources } = yamlFile<{ datasources: Array<{ type: string; uid: string; url: string; isDefault: boolean }> }>('grafana/provisioning/datasources/prometheus.yml');
    expect(datasources).toEqual([expect.objectContaining({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090', isDefault: true })]);
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable).toEqual(expect.objectContaining({ name: 'datasource', query: 'prometheus' }));
    expect(dashboard.panels.filter((panel) => panel.type !== 'row' && panel.datasource?.uid !== '${datasource}')).toEqual([]);
    const { providers } = yamlFile<{ providers: Array<{ type: string; options: { path: string } }> }>('grafana/provisioning/dashboards/dialogue-pipeline.yml');
    expect(providers).toEqual([expect.objectContaining({ type: 'file', options: { path: '/etc/grafana/dashboards' } })]);
  });
});
