/**
 * deploy/docker-compose.yml, read as compose reads it (merge keys, `${VAR}` interpolation) and
 * checked against the server and the other files, since `docker compose config` needs Docker:
 * two server replicas built from deploy/Dockerfile with only the environment `serve` reads, one
 * Redis they reach, Prometheus scraping exactly those replicas with their key, Grafana with the
 * provisioning and the dashboard mounted where its provider looks.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseServeArgs } from '../../src/cli/serve/serve-args';
import { createHostCheck } from '../../src/server/guards/allowed-hosts';
import { DEPLOY, deployText, dockerStages, durationMs, execForm, interpolate, ROOT, serveEnvironment, serveForcedExitMs, yamlFile } from './deploy-files';

interface Service {
  readonly build?: { context: string; dockerfile: string };
  readonly image?: string;
  readonly command?: readonly string[];
  readonly environment?: Record<string, string>;
  readonly ports?: readonly string[];
  readonly volumes?: readonly string[];
  readonly secrets?: readonly string[];
  readonly depends_on?: Record<string, { condition: string }> | readonly string[];
  readonly healthcheck?: { test: readonly string[] };
  readonly stop_grace_period?: string;
  readonly read_only?: boolean;
  readonly cap_drop?: readonly string[];
}
interface Compose { readonly services: Record<string, Service>; readonly secrets: Record<string, { environment?: string; file?: string }>; readonly volumes: Record<string, unknown> }

const compose = yamlFile<Compose>('docker-compose.yml');
const servers = Object.entries(compose.services).filter(([, service]) => service.build?.dockerfile === 'deploy/Dockerfile');
const entrypointFlags = execForm(dockerStages(deployText('Dockerfile')).at(-1)!.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)!.args).slice(2);
/** A service's environment as its container sees it, given the host's `env`. */
const environment = (service: Service, env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), env)]));
/** [host path (absolute), container path] of each bind mount (named volumes left out). */
const binds = (service: Service): Array<[string, string]> => (service.volumes ?? [])
  .filter((volume) => volume.startsWith('.'))
  .map((volume) => {
    const [source, target] = volume.split(':');
    return [path.resolve(DEPLOY, source), target];
  });

describe('deploy/docker-compose.yml', () => {
  it('runs two server replicas built from deploy/Dockerfile with the repository as context, on distinct host ports', () => {
    expect(servers.map(([name]) => name)).toEqual(['dialogue-a', 'dialogue-b']);
    for (const [, service] of servers) {
      expect(path.resolve(DEPLOY, service.build!.context)).toBe(ROOT);
      expect(existsSync(path.join(ROOT, service.build!.dockerfile))).toBe(true);
      expect(service.command).toBeUndefined();
    }
    const published = servers.map(([, service]) => service.ports!.map((mapping) => mapping.split(':')));
    const listened = servers.map(([, service]) => parseServeArgs(entrypointFlags, environment(service, { DIALOGUE_API_KEY: 'k' })));
    expect(listened).toEqual(published.map(([[, container]]) => ({ kind: 'run', options: expect.objectContaining({ host: '0.0.0.0', port: Number(container) }) })));
    expect(published.map((mappings) => mappings.length)).toEqual([1, 1]);
    expect(new Set(published.flat().map(([host]) => host)).size).toBe(servers.length);
  });

  it('gives the servers only variables serve reads, with the API key required and the Redis of the file', () => {
    const known = serveEnvironment();
    expect([...known].sort()).toEqual([
      'DIALOGUE_ALLOWED_HOSTS', 'DIALOGUE_API_KEY', 'DIALOGUE_API_KEYS_FILE', 'DIALOGUE_LOG_LEVEL', 'DIALOGUE_METRICS_KEY', 'DIALOGUE_REDIS_URL',
      'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_MODEL', 'PORT',
    ]);
    for (const [, service] of servers) {
      expect(Object.keys(service.environment!).filter((name) => !known.has(name))).toEqual([]);
      expect(() => environment(service, {})).toThrow('set DIALOGUE_API_KEY');
      const parsed = parseServeArgs(entrypointFlags, environment(service, { DIALOGUE_API_KEY: 'k' }));
      expect(parsed).toEqual({ kind: 'run', options: expect.objectContaining({ apiKey: 'k', redisUrl: 'redis://redis:6379' }) });
    }
    const url = new URL(environment(servers[0][1], { DIALOGUE_API_KEY: 'k' }).DIALOGUE_REDIS_URL);
    expect(compose.services[url.hostname]?.image).toMatch(/^redis:/);
    expect(url.port).toBe('6379');
  });

  it('starts the servers once Redis is healthy, stops them with more grace than their own forced exit, read-only, without capabilities', () => {
    expect(compose.services.redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    for (const [, service] of servers) {
      expect(service.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
      expect(durationMs(service.stop_grace_period!)).toBeGreaterThan(serveForcedExitMs());
      expect(service.read_only).toBe(true);
      expect(service.cap_drop).toEqual(['ALL']);
    }
  });

  it('has Prometheus scrape exactly the server replicas, with their API key as a secret, and load the alert rules', () => {
    const prometheus = compose.services.prometheus;
    const config = yamlFile<{ rule_files: string[]; scrape_configs: Array<{ static_configs: Array<{ targets: string[] }>; authorization: { credentials_file: string } }> }>('prometheus/prometheus.yml');
    const mounts = new Map(binds(prometheus).map(([source, target]) => [target, source]));
    const configFile = prometheus.command!.find((flag) => flag.startsWith('--config.file='))!.split('=')[1];
    expect(mounts.get(configFile)).toBe(path.join(DEPLOY, 'prometheus/prometheus.yml'));
    for (const rules of config.rule_files) {
      const source = mounts.get(path.posix.resolve(path.posix.dirname(configFile), rules));
      expect(source !== undefined && existsSync(source)).toBe(true);
    }
    const [scrape] = config.scrape_configs;
    const port = parseServeArgs(entrypointFlags, environment(servers[0][1], { DIALOGUE_API_KEY: 'k' }));
    expect(port.kind === 'run' && port.options.port).toBe(8787);
    expect(scrape.static_configs.flatMap((c) => c.targets)).toEqual(servers.map(([name]) => `${name}:8787`));
    const secret = /^\/run\/secrets\/(\w+)$/.exec(scrape.authorization.credentials_file)?.[1];
    expect(prometheus.secrets).toEqual([secret]);
    expect(compose.secrets[secret!]).toEqual({ environment: 'DIALOGUE_API_KEY' });
    // The Host Prometheus sends (the target) passes each server's Host check (else 421 on every scrape).
    for (const [, service] of servers) {
      const options = parseServeArgs(entrypointFlags, environment(service, { DIALOGUE_API_KEY: 'k' }));
      const allowed = createHostCheck(options.kind === 'run' ? options.options.allowedHosts ?? [] : []);
      for (const target of scrape.static_configs.flatMap((c) => c.targets)) expect(allowed(target, '172.18.0.9')).toBe(true);
      expect(allowed('evil.example', '172.18.0.9')).toBe(false);
    }
  });

  it('mounts Grafana\'s provisioning and the dashboard where the provider looks, with the compose file\'s Prometheus as data source', () => {
    const grafana = compose.services.grafana;
    const mounts = new Map(binds(grafana).map(([source, target]) => [target, source]));
    expect(mounts.get('/etc/grafana/provisioning')).toBe(path.join(DEPLOY, 'grafana/provisioning'));
    const { providers } = yamlFile<{ providers: Array<{ options: { path: string } }> }>('grafana/provisioning/dashboards/dialogue-pipeline.yml');
    const dashboards = mounts.get(providers[0].options.path);
    expect(dashboards).toBe(path.join(DEPLOY, 'grafana/dashboards'));
    expect(existsSync(path.join(dashboards!, 'dialogue-pipeline.json'))).toBe(true);
    const { datasources } = yamlFile<{ datasources: Array<{ url: string }> }>('grafana/provisioning/datasources/prometheus.yml');
    const url = new URL(datasources[0].url);
    expect(compose.services[url.hostname]).toBe(compose.services.prometheus);
    expect(url.port).toBe('9090');
  });

  it('declares every named volume and secret it uses, and every bind mount exists', () => {
    const services = Object.values(compose.services);
    const named = services.flatMap((service) => (service.volumes ?? []).filter((v) => !v.startsWith('.') && !v.startsWith('/')).map((v) => v.split(':')[0]));
    expect(named.filter((name) => !(name in compose.volumes))).toEqual([]);
    expect(services.flatMap((service) => service.secrets ?? []).filter((name) => !(name in compose.secrets))).toEqual([]);
    expect(services.flatMap(binds).filter(([source]) => !existsSync(source))).toEqual([]);
  });
});
