/**
 * deploy/k8s, read statically and checked against the server, the Dockerfile and each other:
 * probes on open routes of the right port, env from the ConfigMap and the Secret limited to what
 * `serve` reads, a grace period above preStop plus the server's forced exit, a non-root
 * read-only container, and selectors and references that meet.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseServeArgs } from '../../src/cli/serve/serve-args';
import { DEFAULT_READINESS_TIMEOUT_MS } from '../../src/server/readiness';
import { dialogueRoutes } from '../../src/server/routes';
import { DEPLOY, deployText, dockerStages, execForm, serveEnvironment, serveForcedExitMs, yamlDocuments, yamlFile } from './deploy-files';

interface Metadata { readonly name: string; readonly labels?: Record<string, string> }
interface Probe { readonly httpGet?: { path: string; port: string | number }; readonly exec?: { command: string[] }; readonly tcpSocket?: { port: string | number }; readonly timeoutSeconds?: number }
interface EnvVar { readonly name: string; readonly value?: string; readonly valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } } }
interface Container {
  readonly name: string; readonly image: string; readonly command?: string[]; readonly args?: string[];
  readonly ports: Array<{ name: string; containerPort: number }>;
  readonly env?: EnvVar[]; readonly envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  readonly livenessProbe?: Probe; readonly readinessProbe?: Probe;
  readonly lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  readonly resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readonly securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  readonly volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  readonly terminationGracePeriodSeconds?: number;
  readonly securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number };
  readonly containers: Container[];
  readonly volumes?: Array<{ name: string }>;
}
interface Resource {
  readonly apiVersion: string; readonly kind: string; readonly metadata: Metadata;
  readonly data?: Record<string, string>;
  readonly spec?: {
    selector?: Record<string, string> | { matchLabels: Record<string, string> };
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    ports?: Array<{ name: string; port: number; targetPort: string | number }>;
    scaleTargetRef?: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    metrics?: Array<{ type: string; resource?: { name: string } }>;
  };
}

const { resources: files } = yamlFile<{ resources: string[] }>('k8s/kustomization.yaml');
const resources = files.flatMap((file) => yamlDocuments<Resource>(path.join('k8s', file)));
const find = (kind: string, name: string): Resource => {
  const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
};
const deployment = find('Deployment', 'dialogue-pipeline');
const pod = deployment.spec!.template!.spec;
const [server] = pod.containers;
const runtime = dockerStages(deployText('Dockerfile')).at(-1)!;
const dockerfile = (keyword: string): string => runtime.instructions.filter((i) => i.keyword === keyword).at(-1)!.args;
const matchLabels = (resource: Resource): Record<string, string> => {
  const selector = resource.spec!.selector!;
  return 'matchLabels' in selector ? selector.matchLabels as Record<string, string> : selector as Record<string, string>;
};
const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([key, value]) => labels[key] === value);
const portNumber = (container: Container, port: string | number): number | undefined =>
  typeof port === 'number' ? port : container.ports.find((p) => p.name === port)?.containerPort;

/** The container's environment as the server would see it: ConfigMap keys, then `env` (Secret values as placeholders). */
const containerEnv = (container: Container): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef !== undefined) Object.assign(env, find('ConfigMap', source.configMapRef.name).data);
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref?.optional !== true) env[variable.name] = variable.value ?? (ref === undefined ? '' : `secret:${ref.name}/${ref.key}`);
  }
  return env;
};

describe('deploy/k8s', () => {
  it('lists resources that exist and parse, each with apiVersion, kind and name', () => {
    expect(files.filter((file) => !existsSync(path.join(DEPLOY, 'k8s', file)))).toEqual([]);
    expect(resources.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual([
      'ConfigMap/dialogue-pipeline', 'Deployment/dialogue-pipeline', 'Deployment/dialogue-redis', 'HorizontalPodAutoscaler/dialogue-pipeline',
      'PodDisruptionBudget/dialogue-pipeline', 'Service/dialogue-pipeline', 'Service/dialogue-redis',
    ]);
    expect(resources.filter((r) => typeof r.apiVersion !== 'string')).toEqual([]);
  });

  it('runs the image\'s entrypoint, with env only from the ConfigMap and the Secret, naming only variables serve reads', () => {
    expect(server.command).toBeUndefined();
    const known = serveEnvironment();
    const names = [...Object.keys(containerEnv(server)), ...(server.env ?? []).map((v) => v.name)];
    expect(names.filter((name) => !known.has(name))).toEqual([]);
    expect((server.env ?? []).filter((v) => v.valueFrom?.secretKeyRef === undefined)).toEqual([]);
    expect(server.env!.find((v) => v.name === 'DIALOGUE_API_KEY')?.valueFrom?.secretKeyRef).toEqual({ name: 'dialogue-pipeline', key: 'DIALOGUE_API_KEY' });
    const secret = yamlDocuments<Resource & { stringData: Record<string, string> }>('k8s/secret.example.yaml')[0];
    expect(secret.metadata.name).toBe('dialogue-pipeline');
    expect(Object.keys(secret.stringData)).toEqual(['DIALOGUE_API_KEY']);
    expect(Object.keys(find('ConfigMap', 'dialogue-pipeline').data!).filter((key) => /KEY|PASSWORD|TOKEN/.test(key))).toEqual([]);
  });

  it('listens on the container port, with the API key from the Secret and the Redis Service\'s address', () => {
    const flags = execForm(dockerfile('ENTRYPOINT')).slice(2);
    const parsed = parseServeArgs([...flags, ...(server.args ?? [])], containerEnv(server));
    expect(parsed).toEqual({ kind: 'run', options: expect.objectContaining({ host: '0.0.0.0', port: portNumber(server, 'http'), apiKey: 'secret:dialogue-pipeline/DIALOGUE_API_KEY' }) });
    const url = new URL(parsed.kind === 'run' ? parsed.options.redisUrl! : '');
    const redis = find('Service', url.hostname);
    expect(redis.spec!.ports!.map((p) => p.port)).toEqual([Number(url.port)]);
    expect(Number(dockerfile('EXPOSE'))).toBe(portNumber(server, 'http'));
  });

  it('probes liveness on /healthz and readiness on /readyz, open GET routes, with a timeout above the readiness deadline', () => {
    const open = (pathname: string) => dialogueRoutes.find((route) => route.path === pathname && route.method === 'GET')?.open;
    expect(server.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(server.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect([open('/healthz'), open('/readyz')]).toEqual([true, true]);
    expect(portNumber(server, server.readinessProbe!.httpGet!.port)).toBe(8787);
    expect(server.readinessProbe!.timeoutSeconds! * 1000).toBeGreaterThan(DEFAULT_READINESS_TIMEOUT_MS);
  });

  it('gives a terminating pod more grace than preStop\'s wait plus the server\'s forced exit', () => {
    const command = server.lifecycle?.preStop?.exec?.command ?? [];
    expect(command[0]).toBe('sleep');
    const sleepMs = Number(command[1]) * 1000;
    expect(sleepMs).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(sleepMs + serveForcedExitMs());
  });

  it('runs as the Dockerfile\'s non-root user on a read-only root, without privileges, its writable folders on volumes', () => {
    const [uid, gid] = dockerfile('USER').split(':').map(Number);
    expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid }));
    expect(server.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const mounted = (server.volumeMounts ?? []).map((m) => m.mountPath);
    expect(mounted).toEqual(expect.arrayContaining([dockerfile('WORKDIR'), '/tmp']));
    const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
    expect((server.volumeMounts ?? []).filter((m) => !volumes.has(m.name))).toEqual([]);
    expect(server.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
    expect(server.resources?.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
  });

  it('has the Service, the autoscaler and the disruption budget point at the server pods (not Redis), the Redis Service at Redis', () => {
    const serverLabels = deployment.spec!.template!.metadata.labels;
    const redisDeployment = find('Deployment', 'dialogue-redis');
    const redisLabels = redisDeployment.spec!.template!.metadata.labels;
    expect(selects(matchLabels(deployment), serverLabels)).toBe(true);
    const service = find('Service', 'dialogue-pipeline');
    expect([selects(matchLabels(service), serverLabels), selects(matchLabels(service), redisLabels)]).toEqual([true, false]);
    expect(portNumber(server, service.spec!.ports![0].targetPort)).toBe(8787);
    const pdb = find('PodDisruptionBudget', 'dialogue-pipeline');
    expect([selects(matchLabels(pdb), serverLabels), selects(matchLabels(pdb), redisLabels)]).toEqual([true, false]);
    const redisService = find('Service', 'dialogue-redis');
    expect([selects(matchLabels(redisService), redisLabels), selects(matchLabels(redisService), serverLabels)]).toEqual([true, false]);
    const [redis] = redisDeployment.spec!.template!.spec.containers;
    expect(portNumber(redis, redisService.spec!.ports![0].targetPort)).toBe(6379);
    const hpa = find('HorizontalPodAutoscaler', 'dialogue-pipeline');
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'dialogue-pipeline' });
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec!.metrics!.map((m) => m.resource?.name)).toEqual(['cpu']);
  });
});
