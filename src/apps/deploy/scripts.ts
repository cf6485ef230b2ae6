/**
 * The shell scripts the deploy and undeploy jobs run on a server: pure functions, so tests can read them.
 * Every name that reaches a script is validated before (stack names, hashes, job ids) and quoted anyway.
 * Files with secrets travel on stdin, never on a command line another user could read in `ps`.
 */
import { COMPOSE_FILE_NAME, ENV_FILE_NAME, exportEnvFileScript, PUBLIC_NETWORK } from '../render/index.js';
import { shQuote } from '../../ssh/shell.js';
import { SETUP_RECORD_PATH } from '../render/constants.js';
import { APPS_DIR } from './types.js';

const NS_LABEL = 'com.docker.stack.namespace';

export function stackDir(stack: string): string {
  return `${APPS_DIR}/${stack}`;
}

export function releaseDir(stack: string, hash: string): string {
  return `${stackDir(stack)}/releases/${hash.slice(0, 16)}`;
}

/** KEY=value lines: docker, swarm, network, free_kb, apps_free_kb, setup (setup-server's record), now. */
export function preflightScript(): string {
  return [
    `echo "docker=$(command -v docker >/dev/null 2>&1 && echo yes || echo no)"`,
    `echo "swarm=$(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null)"`,
    `echo "network=$(docker network inspect ${PUBLIC_NETWORK} --format '{{.Driver}} {{.Attachable}} {{.Scope}}' 2>/dev/null)"`,
    `root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null); [ -d "$root" ] || root=/`,
    `echo "free_kb=$(df -Pk "$root" 2>/dev/null | awk 'NR==2{print $4}')"`,
    `mkdir -p ${shQuote(APPS_DIR)} && chmod 700 ${shQuote(APPS_DIR)}`,
    `echo "apps_free_kb=$(df -Pk ${shQuote(APPS_DIR)} 2>/dev/null | awk 'NR==2{print $4}')"`,
    `echo "setup=$(test -f ${shQuote(SETUP_RECORD_PATH)} && echo yes || echo no)"`,
    `echo "now=$(date +%s)"`,
  ].join('\n');
}

/** Prints `acquired`, or `held <server-now>` and the owner line. The owner line is compared verbatim to break it. */
export function lockScript(stack: string, jobId: string, homeId: string, ttlS: number): string {
  const d = shQuote(`${stackDir(stack)}/.lock`);
  return [
    `mkdir -p ${shQuote(stackDir(stack))} || exit 3`,
    `now=$(date +%s)`,
    `if mkdir ${d} 2>/dev/null; then`,
    `  printf '{"job":"%s","home":"%s","acquired":%s,"expires":%s}\\n' ${shQuote(jobId)} ${shQuote(homeId)} "$now" "$((now + ${Math.ceil(ttlS)}))" > ${d}/owner`,
    `  echo acquired`,
    `else`,
    `  echo "held $now"; cat ${d}/owner 2>/dev/null || echo '{}'`,
    `fi`,
  ].join('\n');
}

/** Removes a lock only while it still has exactly the owner line that was judged stale. */
export function breakLockScript(stack: string, ownerLine: string): string {
  const d = shQuote(`${stackDir(stack)}/.lock`);
  return `[ "$(cat ${d}/owner 2>/dev/null || echo '{}')" = ${shQuote(ownerLine)} ] && rm -rf ${d} && echo broken || echo kept`;
}

export function unlockScript(stack: string, jobId: string): string {
  const d = shQuote(`${stackDir(stack)}/.lock`);
  return `grep -q ${shQuote(`"job":"${jobId}"`)} ${d}/owner 2>/dev/null && rm -rf ${d}; true`;
}

/** release.json (one line, or nothing) then `@@current <dir>`. */
export function readReleaseScript(stack: string): string {
  const dir = shQuote(stackDir(stack));
  return `cat ${dir}/release.json 2>/dev/null; echo; echo "@@current $(readlink ${dir}/current 2>/dev/null)"`;
}

/** Reads two base64 lines from stdin (compose, then .env) into releases/<hash>/, mode 0600. */
export function uploadScript(stack: string, hash: string): string {
  const d = shQuote(releaseDir(stack, hash));
  return [
    'set -e',
    'umask 077',
    `mkdir -p ${d}`,
    'IFS= read -r c',
    'IFS= read -r e',
    `printf %s "$c" | base64 -d > ${d}/${COMPOSE_FILE_NAME}.tmp`,
    `printf %s "$e" | base64 -d > ${d}/${ENV_FILE_NAME}.tmp`,
    `chmod 600 ${d}/${COMPOSE_FILE_NAME}.tmp ${d}/${ENV_FILE_NAME}.tmp`,
    `mv -f ${d}/${COMPOSE_FILE_NAME}.tmp ${d}/${COMPOSE_FILE_NAME}`,
    `mv -f ${d}/${ENV_FILE_NAME}.tmp ${d}/${ENV_FILE_NAME}`,
  ].join('\n');
}

export function uploadPayload(compose: string, envFile: string): string {
  return `${Buffer.from(compose).toString('base64')}\n${Buffer.from(envFile).toString('base64')}\n`;
}

export function stackDeployScript(
  stack: string,
  dir: string,
  resolveImage: 'always' | 'changed' | 'never',
  interpolatesEnv: boolean,
): string {
  return [
    `cd ${shQuote(dir)} || exit 3`,
    ...(interpolatesEnv ? [exportEnvFileScript(ENV_FILE_NAME)] : []),
    `docker stack deploy --prune --with-registry-auth --resolve-image ${resolveImage} -c ${COMPOSE_FILE_NAME} ${shQuote(stack)} 2>&1`,
  ].join('\n');
}

// Only the fields the convergence check needs: a full inspect would carry every secret of the env file.
const SERVICE_FORMAT =
  '{"id":{{json .ID}},"name":{{json .Spec.Name}},"version":{{.Version.Index}},' +
  '"replicas":{{if .Spec.Mode.Replicated}}{{.Spec.Mode.Replicated.Replicas}}{{else}}null{{end}},' +
  '"image":{{json .Spec.TaskTemplate.ContainerSpec.Image}},"update":{{json .UpdateStatus}}}';
const TASK_FORMAT =
  '{"id":{{json .ID}},"service":{{json .ServiceID}},"created":{{json .CreatedAt}},"desired":{{json .DesiredState}},' +
  '"state":{{json .Status.State}},"err":{{json .Status.Err}},"message":{{json .Status.Message}},' +
  '"exit":{{if .Status.ContainerStatus}}{{json .Status.ContainerStatus.ExitCode}}{{else}}null{{end}}}';

/** `@@services`, one JSON line per service, `@@tasks`, one per task (history included), `@@now <epoch>`. */
export function stackStatusScript(stack: string): string {
  const s = shQuote(stack);
  return [
    `ids=$(docker service ls -q --filter label=${NS_LABEL}=${s})`,
    'echo @@services',
    `[ -z "$ids" ] || docker service inspect $ids --format ${shQuote(SERVICE_FORMAT)}`,
    'echo @@tasks',
    `t=$(docker stack ps -q --no-trunc ${s} 2>/dev/null)`,
    `[ -z "$t" ] || docker inspect --type task $t --format ${shQuote(TASK_FORMAT)} 2>/dev/null`,
    'echo "@@now $(date +%s)"',
  ].join('\n');
}

/** The last lines a service logged, only since `sinceEpochS` (server clock) when given: one release's, not an earlier one's. */
export function serviceLogsScript(fullName: string, lines: number, sinceEpochS?: number): string {
  const since = sinceEpochS === undefined ? '' : ` --since ${Math.floor(sinceEpochS)}`;
  return `docker service logs --tail ${lines}${since} --no-task-ids --timestamps ${shQuote(fullName)} 2>&1 | tail -c 16000`;
}

/** Runs an idempotent command in a running task of a service (e.g. create a database before n8n starts). */
export function hookScript(serviceFullName: string, argv: readonly string[]): string {
  return [
    `cid=$(docker ps -q --filter label=com.docker.swarm.service.name=${shQuote(serviceFullName)} --filter status=running | head -n 1)`,
    `[ -n "$cid" ] || { echo "no running task of ${serviceFullName}" >&2; exit 3; }`,
    `docker exec "$cid" ${argv.map(shQuote).join(' ')}`,
  ].join('\n');
}

/** Polls a URL from a one-off container on the shared network until it answers below 400, or `attempts` run out. */
export function directProbeScript(image: string, url: string, attempts: number): string {
  const inner = [
    't() { if command -v timeout >/dev/null 2>&1; then timeout 10 "$@"; else "$@"; fi; }',
    `i=0; while [ $i -lt ${attempts} ]; do`,
    `  if t wget -q -O /dev/null ${shQuote(url)} 2>/dev/null || t curl -fsS -o /dev/null ${shQuote(url)} 2>/dev/null; then echo probe-ok; exit 0; fi`,
    '  i=$((i+1)); sleep 2',
    'done; echo probe-failed; exit 1',
  ].join('\n');
  return `docker run --rm --network ${PUBLIC_NETWORK} --entrypoint sh ${shQuote(image)} -c ${shQuote(inner)} 2>&1 | tail -n 5`;
}

/** Probes the domain through Traefik on the server itself (its own TLS certificate may still be pending: -k). */
export function routeProbeScript(host: string, path: string): string {
  const url = shQuote(`https://${host}${path}`);
  return (
    `command -v curl >/dev/null 2>&1 || { echo no-curl; exit 0; }; ` +
    `curl -sk -o /dev/null -w 'status=%{http_code}\\n' --max-time 10 --resolve ${shQuote(`${host}:443:127.0.0.1`)} ${url} || echo status=000`
  );
}

/** After a healthy deploy: previous := old current, current := this release, release.json from stdin, old releases pruned. */
export function promoteScript(stack: string, hash: string): string {
  const dir = shQuote(stackDir(stack));
  const rel = `releases/${hash.slice(0, 16)}`;
  return [
    'set -e',
    'umask 077',
    `cd ${dir}`,
    `old=$(readlink current 2>/dev/null || true)`,
    `if [ -n "$old" ] && [ "$old" != ${shQuote(rel)} ]; then ln -sfn "$old" previous; fi`,
    `ln -sfn ${shQuote(rel)} current`,
    'IFS= read -r r',
    'printf "%s\\n" "$r" > release.json.tmp && mv -f release.json.tmp release.json',
    'keep1=$(readlink current); keep2=$(readlink previous 2>/dev/null || true)',
    'for x in releases/*; do [ "$x" = "$keep1" ] || [ "$x" = "$keep2" ] || rm -rf "$x"; done',
  ].join('\n');
}

/** Drops the directory of a release that failed, unless it is the current or previous one. */
export function discardReleaseScript(stack: string, hash: string): string {
  const dir = shQuote(stackDir(stack));
  const rel = shQuote(`releases/${hash.slice(0, 16)}`);
  return `cd ${dir} 2>/dev/null || exit 0; [ "$(readlink current 2>/dev/null)" = ${rel} ] || [ "$(readlink previous 2>/dev/null)" = ${rel} ] || rm -rf ${rel}`;
}

/** For list-apps and the dependents check: `@@release <json>` per stack, then `@@services` with `name replicas`. */
export function listScript(): string {
  return [
    `for f in ${APPS_DIR}/*/release.json; do [ -f "$f" ] && { printf '@@release '; tr -d '\\n' < "$f"; echo; }; done`,
    'echo @@services',
    `docker service ls --format '{{.Name}} {{.Replicas}}' 2>/dev/null`,
  ].join('\n');
}

export function stackRemoveScript(stack: string): string {
  return `docker stack rm ${shQuote(stack)} 2>&1 || true`;
}

/** `services=N containers=N networks=N volumes=a,b`: what is left of a stack. */
export function stackLeftoversScript(stack: string): string {
  const f = `--filter label=${NS_LABEL}=${shQuote(stack)}`;
  return [
    `echo "services=$(docker service ls -q ${f} | wc -l) containers=$(docker ps -aq ${f} | wc -l) networks=$(docker network ls -q ${f} | wc -l)"`,
    `echo "volumes=$(docker volume ls -q ${f} | tr '\\n' ',')"`,
  ].join('\n');
}

/** Prints `removed <v>` or `busy <v>: <why>` per volume that exists; exits 1 if any stayed. */
export function removeVolumesScript(volumes: readonly string[]): string {
  return [
    'rc=0',
    `for v in ${volumes.map(shQuote).join(' ')}; do`,
    '  docker volume inspect "$v" >/dev/null 2>&1 || continue',
    '  if out=$(docker volume rm "$v" 2>&1); then echo "removed $v"; else echo "busy $v: $out"; rc=1; fi',
    'done',
    'exit $rc',
  ].join('\n');
}

export function removeStackDirScript(stack: string): string {
  return `rm -rf ${shQuote(stackDir(stack))}`;
}
