import { shown, verdict, type CommandRule } from './rule.js';
import { verbRule } from './verbs.js';
import { phrases, words } from './lists.js';

/** Package managers, containers, kubectl, git and curl: each reads with some verbs and changes things with the rest. */

const installs = { class: 'privileged', does: 'installs, removes or updates system packages' } as const;
const helpAlone = { class: 'read-only', why: 'prints its help' } as const;

const apt = verbRule({
  reads: words('list show search policy depends rdepends showsrc changelog madison help check'),
  changing: words(
    'install remove purge update upgrade full-upgrade dist-upgrade autoremove autopurge clean autoclean build-dep reinstall satisfy edit-sources download source markauto hold unhold',
  ),
  valuedShort: 'ocCt',
  valuedLong: ['option', 'config-file', 'target-release'],
  readOptions: ['--version', '-v', '-h', '--help'],
  alone: helpAlone,
  other: installs,
});

const DPKG_READS =
  /^(?:-[lLsSpcIW]|--(?:list|listfiles|status|search|print-avail|print-architecture|print-foreign-architectures|get-selections|contents|info|compare-versions|version|help|audit|show|verify))(?:=.*)?$/;

/** dpkg queries with -l/-L/-s/-S…; -i, -r, -P, --configure… change the system. */
const dpkg: CommandRule = (args, ctx) => {
  const first = args[0];
  return first?.value && DPKG_READS.test(first.value)
    ? verdict('read-only', `${ctx.name} ${first.value} only queries packages`)
    : verdict(
        'privileged',
        `${ctx.name} ${first ? shown(first) : ''} installs, removes or configures packages`.replace('  ', ' '),
      );
};

/** rpm -q… and -V query; everything else installs or erases. */
const rpm: CommandRule = (args, ctx) => {
  const first = args[0]?.value;
  return first && /^(?:-q|--query|-V|--verify|--version|--help|--querytags|--showrc)/.test(first)
    ? verdict('read-only', `${ctx.name} ${first} only queries packages`)
    : verdict('privileged', `${ctx.name} installs, erases or changes packages`);
};

/** pacman -Q…, -Ss/-Si/-Sl/-Sg and -T query; -S, -R, -U, -Syu change. */
const pacman: CommandRule = (args, ctx) => {
  const first = args[0]?.value;
  return first &&
    /^(?:-Q[a-zA-Z]*|--query|-S[sigl]+|-T|--deptest|-V|--version|-h|--help|-F[a-z]*)$/.test(first) &&
    !/^-F.*y/.test(first)
    ? verdict('read-only', `${ctx.name} ${first} only queries packages`)
    : verdict('privileged', `${ctx.name} installs, removes or updates packages`);
};

const pkgVerbs = (reads: string[], changing: string[]) =>
  verbRule({ reads, changing, readOptions: ['--version', '-h', '--help'], alone: helpAlone, other: installs });

const userPkgVerbs = (reads: string[], changing: string[]) =>
  verbRule({
    reads,
    changing,
    readOptions: ['--version', '-V', '-v', '-h', '--help'],
    alone: helpAlone,
    other: { class: 'destructive', does: 'installs or removes packages' },
  });

const DOCKER_READS = phrases(
  'ps, logs, inspect, images, version, info, stats, top, port, diff, history, events, search, container ls, container list, container ps, container inspect, container logs, container top, container stats, container diff, container port, image ls, image list, image inspect, image history, network ls, network list, network inspect, volume ls, volume list, volume inspect, system df, system info, system events, service ls, service list, service ps, service logs, service inspect, stack ls, stack list, stack ps, stack services, node ls, node list, node ps, node inspect, secret ls, secret inspect, config ls, config inspect, context ls, context show, context inspect, compose ps, compose logs, compose config, compose ls, compose images, compose top, compose version, compose events, plugin ls, buildx ls, manifest inspect',
);
const DOCKER_GROUPS = words(
  'container image network volume system service stack node secret config context compose plugin buildx manifest swarm trust checkpoint builder',
);
const DOCKER_CHANGING = words(
  'run exec rm rmi stop start restart kill pause unpause create build pull push tag commit cp prune update rename attach load import login logout up down deploy scale rollback init join leave promote demote remove wait',
);

const docker = verbRule({
  reads: DOCKER_READS,
  groups: DOCKER_GROUPS,
  changing: DOCKER_CHANGING,
  valuedShort: 'Hclpf',
  valuedLong: words(
    'host context config log-level tlscacert tlscert tlskey file project-name project-directory env-file profile ansi progress format filter since until tail',
  ),
  readOptions: ['--version', '-v'],
  alone: helpAlone,
  other: { class: 'destructive', does: 'changes containers, images or their data' },
});

const dockerCompose = verbRule({
  reads: words('ps logs config ls images top version events'),
  changing: DOCKER_CHANGING,
  valuedShort: 'fp',
  valuedLong: words('file project-name project-directory env-file profile ansi progress tail'),
  readOptions: ['--version', '-v'],
  alone: helpAlone,
  other: { class: 'destructive', does: 'changes containers or their data' },
});

const kubectl = verbRule({
  reads: phrases(
    'get, describe, logs, top, version, cluster-info, api-resources, api-versions, explain, events, diff, config view, config get-contexts, config current-context, config get-clusters, config get-users, auth can-i, auth whoami, rollout status, rollout history',
  ),
  groups: ['config', 'auth', 'rollout'],
  changing: words(
    'apply create delete edit patch replace scale autoscale exec run cp drain cordon uncordon taint label annotate expose set port-forward proxy attach debug restart undo',
  ),
  valuedShort: 'nlocs',
  valuedLong: words('namespace context cluster kubeconfig selector output container server user since tail'),
  alone: helpAlone,
  other: { class: 'destructive', does: 'changes the cluster' },
});

const gitVerbs = verbRule({
  reads: phrases(
    'status, log, diff, show, rev-parse, ls-files, ls-tree, ls-remote, blame, describe, shortlog, grep, cat-file, version, help, remote show, remote get-url, stash list, stash show, worktree list',
  ),
  groups: ['remote', 'stash', 'worktree'],
  changing: words(
    'add commit push pull fetch merge rebase reset checkout switch restore rm mv clean stash tag branch clone init config apply am cherry-pick revert gc prune',
  ),
  valuedShort: 'C',
  valuedLong: ['git-dir', 'work-tree', 'namespace'],
  readOptions: ['--version'],
  alone: helpAlone,
  other: { class: 'destructive', does: 'changes the repository or its files' },
});

/** git -c and --output can make a reading verb run a program or write a file. */
const git: CommandRule = (args, ctx) => {
  const risky = args.find(
    (w) =>
      w.value === null || w.value === '-c' || /^--(?:config-env|exec-path|output|upload-pack|ext-diff)/.test(w.value),
  );
  if (risky) return verdict('destructive', `${ctx.name} ${shown(risky)} may run a program or write a file`);
  return gitVerbs(args, ctx);
};

const CURL_WRITE_LETTERS = 'oOTdFKcDJ';
const CURL_VALUED_LETTERS = 'AbcCdDeEFHKmoPQrtTuUwxXyYz';
const CURL_WRITE_LONG = words(
  'output remote-name remote-name-all output-dir create-dirs upload-file data data-ascii data-binary data-raw data-urlencode json form form-string config cookie-jar dump-header trace trace-ascii libcurl stderr etag-save hsts alt-svc remote-header-name post301 post302 post303',
);

/** curl fetches and prints; sending data, another method, or saving to a file makes it change something. */
const curl: CommandRule = (args, ctx) => {
  if (ctx.extraArgs) return verdict('destructive', `${ctx.name} gets arguments from its input`);
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (v === null) continue;
    const next = args[i + 1]?.value;
    if (v.startsWith('--')) {
      const [name, value] = v.slice(2).split('=', 2) as [string, string | undefined];
      if (name === 'request') {
        const method = (value ?? next ?? '').toUpperCase();
        if (method !== 'GET' && method !== 'HEAD')
          return verdict('destructive', `${ctx.name} sends a ${method || 'custom'} request`);
      } else if (CURL_WRITE_LONG.includes(name) && !toStdout(name, value ?? next)) {
        return verdict('destructive', `${ctx.name} --${name} sends data or writes a file`);
      }
      continue;
    }
    if (!/^-[a-zA-Z#:]/.test(v)) continue;
    for (let k = 1; k < v.length; k++) {
      const letter = v[k]!;
      const value = v.slice(k + 1) || next;
      if (letter === 'X') {
        const method = (value ?? '').toUpperCase();
        if (method !== 'GET' && method !== 'HEAD')
          return verdict('destructive', `${ctx.name} sends a ${method || 'custom'} request`);
      } else if (CURL_WRITE_LETTERS.includes(letter) && !toStdout(letter, value)) {
        return verdict('destructive', `${ctx.name} -${letter} sends data or writes a file`);
      }
      if (CURL_VALUED_LETTERS.includes(letter)) break;
    }
  }
  return verdict('read-only', `${ctx.name} only fetches and prints`);
};

/** `-o -`, `-o /dev/null` and `-D -` keep curl's output off the disk. */
function toStdout(option: string, value: string | undefined | null): boolean {
  return ['o', 'output', 'D', 'dump-header'].includes(option) && (value === '-' || value === '/dev/null');
}

export const TOOL_RULES: ReadonlyMap<string, CommandRule> = new Map<string, CommandRule>([
  ['apt', apt],
  ['apt-get', apt],
  ['aptitude', apt],
  ['apt-cache', () => verdict('read-only', 'apt-cache only queries packages')],
  ['dpkg', dpkg],
  ['dpkg-query', () => verdict('read-only', 'dpkg-query only queries packages')],
  ['rpm', rpm],
  ['pacman', pacman],
  [
    'yum',
    pkgVerbs(
      words(
        'list info search provides whatprovides repolist repoinfo check-update deplist repoquery updateinfo help version',
      ),
      words('install remove erase update upgrade downgrade reinstall autoremove clean makecache groupinstall module'),
    ),
  ],
  [
    'dnf',
    pkgVerbs(
      words(
        'list info search provides whatprovides repolist repoinfo check-update deplist repoquery updateinfo help version',
      ),
      words(
        'install remove erase update upgrade downgrade reinstall autoremove clean makecache module swap distro-sync',
      ),
    ),
  ],
  ['microdnf', pkgVerbs(['repolist', 'help'], words('install remove update upgrade reinstall clean makecache module'))],
  [
    'apk',
    pkgVerbs(words('info search list policy stats dot version audit'), words('add del update upgrade fix cache')),
  ],
  [
    'zypper',
    pkgVerbs(
      words('search se info if list-updates lu packages pa patterns repos lr products pd'),
      words('install in remove rm update up dist-upgrade dup patch refresh ref'),
    ),
  ],
  [
    'snap',
    pkgVerbs(
      words('list info find version services changes connections interfaces logs help'),
      words('install remove refresh revert enable disable start stop restart connect disconnect set'),
    ),
  ],
  [
    'flatpak',
    pkgVerbs(
      words('list info search remotes history ps'),
      words('install uninstall update remote-add remote-delete repair run kill'),
    ),
  ],
  ['pip', userPkgVerbs(words('list show freeze check help search'), ['install', 'uninstall', 'download', 'wheel'])],
  ['pip3', userPkgVerbs(words('list show freeze check help search'), ['install', 'uninstall', 'download', 'wheel'])],
  [
    'npm',
    userPkgVerbs(
      phrases('ls, list, view, info, outdated, help, config list, root, prefix, explain'),
      words('install i ci uninstall rm update publish link run exec start test'),
    ),
  ],
  ['docker', docker],
  ['podman', docker],
  ['docker-compose', dockerCompose],
  ['kubectl', kubectl],
  ['git', git],
  ['curl', curl],
]);
