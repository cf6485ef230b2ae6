import type { ShellWord } from '../shell/types.js';
import { operandsOf, verbRule } from './verbs.js';
import { shown, uncertain, verdict, type CommandRule } from './rule.js';
import { words } from './lists.js';

/** Services, the kernel, the clock, the network and the system's own settings. Changing any of them is privileged. */

const systemctl = verbRule({
  reads: words(
    'status show cat list-units list-unit-files list-timers list-sockets list-dependencies list-jobs list-machines list-automounts list-paths is-active is-enabled is-failed is-system-running get-default show-environment help',
  ),
  changing: words(
    'start stop restart reload try-restart reload-or-restart try-reload-or-restart enable disable reenable mask unmask kill clean freeze thaw edit set-property revert daemon-reload daemon-reexec isolate link preset set-default set-environment unset-environment import-environment reset-failed poweroff reboot halt kexec suspend hibernate emergency rescue default exit switch-root bind mount-image',
  ),
  valuedShort: 'tpHMnosPS',
  valuedLong: words(
    'type property host machine lines output state signal root kill-whom job-mode what image boot-loader-entry boot-loader-menu reboot-argument timestamp check-inhibitors preset-mode drop-in when',
  ),
  readOptions: ['--version', '-h', '--help'],
  alone: { class: 'read-only', why: 'lists units' },
  other: { class: 'privileged', does: 'changes a system service or the system state' },
});

/** service NAME status reads; service --status-all lists. */
const service: CommandRule = (args, ctx) => {
  const values = args.map((w) => w.value);
  if (values.length === 1 && values[0] === '--status-all')
    return verdict('read-only', `${ctx.name} --status-all only lists services`);
  if (values.length === 2 && values[1] === 'status' && !uncertain(args[0]!))
    return verdict('read-only', `${ctx.name} ${values[0]} status only reads`);
  return verdict('privileged', `${ctx.name} ${args.map(shown).join(' ')} controls a system service`.trimEnd());
};

/** Options of journalctl and dmesg that change the journal or the kernel log rather than read it. */
const JOURNAL_WRITES = words(
  '--vacuum-size --vacuum-time --vacuum-files --rotate --flush --sync --relinquish-var --smart-relinquish-var --setup-keys --update-catalog',
);
const journalctl: CommandRule = (args, ctx) => {
  const hit = args.find(
    (w) => w.value === null || JOURNAL_WRITES.some((o) => w.value === o || w.value!.startsWith(`${o}=`)),
  );
  if (!hit) return verdict('read-only', `${ctx.name} only reads the journal`);
  return verdict(
    'privileged',
    hit.value === null
      ? `${ctx.name}'s argument ${hit.raw} is decided at run time`
      : `${ctx.name} ${hit.value} changes the journal`,
  );
};

const DMESG_WRITES =
  /^(?:-[a-zA-Z]*[cCnDE][a-zA-Z]*|--clear|--read-clear|--console-level.*|--console-off|--console-on)$/;
const dmesg: CommandRule = (args, ctx) => {
  const hit = args.find((w) => w.value === null || DMESG_WRITES.test(w.value));
  return hit
    ? verdict('privileged', `${ctx.name} ${shown(hit)} changes the kernel log`)
    : verdict('read-only', `${ctx.name} only reads the kernel log`);
};

/** date +FORMAT prints; date MMDDhhmm or -s sets the clock. */
const date: CommandRule = (args, ctx) => {
  const sets = args.find(
    (w) =>
      w.value === null ||
      /^(?:-[uR]*s|--set)/.test(w.value) ||
      (!w.value.startsWith('-') && !w.value.startsWith('+') && !isDateOptionValue(args, w)),
  );
  return sets
    ? verdict('privileged', `${ctx.name} ${shown(sets)} may set the clock`)
    : verdict('read-only', `${ctx.name} only prints the time`);
};

function isDateOptionValue(args: readonly ShellWord[], w: ShellWord): boolean {
  const before = args[args.indexOf(w) - 1]?.value;
  return (
    before === '-d' ||
    before === '--date' ||
    before === '-r' ||
    before === '--reference' ||
    before === '-f' ||
    before === '--file' ||
    before === '-I'
  );
}

/** hostname alone (or with display flags) prints; with a name, or -F, it sets the host name. */
const hostname: CommandRule = (args, ctx) => {
  const sets = args.find(
    (w) => w.value === null || !w.value.startsWith('-') || /^-[a-zA-Z]*[bF]|^--file|^--boot/.test(w.value),
  );
  return sets
    ? verdict('privileged', `${ctx.name} ${shown(sets)} sets the host name`)
    : verdict('read-only', `${ctx.name} only prints the host name`);
};

const settingsCtl = (reads: string[], what: string) =>
  verbRule({
    reads,
    changing: [],
    valuedShort: 'HM',
    valuedLong: ['host', 'machine'],
    readOptions: ['--version', '-h', '--help'],
    alone: { class: 'read-only', why: `shows the ${what}` },
    other: { class: 'privileged', does: `changes the ${what}` },
  });

/** sysctl NAME reads; NAME=VALUE, -w, -p and --system write kernel settings. */
const sysctl: CommandRule = (args, ctx) => {
  const writes = args.find(
    (w) => w.value === null || w.value.includes('=') || /^-[a-zA-Z]*[wpf]|^--(?:write|load|system)/.test(w.value),
  );
  return writes
    ? verdict('privileged', `${ctx.name} ${shown(writes)} changes kernel settings`)
    : verdict('read-only', `${ctx.name} only reads kernel settings`);
};

/** mount alone (or with -l, -t TYPE) lists mounts; anything else mounts. */
const mount: CommandRule = (args, ctx) => {
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value;
    if (v === '-t' || v === '--types') i++;
    else if (v !== '-l' && v !== '--show-labels') return verdict('privileged', `${ctx.name} mounts a filesystem`);
  }
  return verdict('read-only', `${ctx.name} without a source only lists mounts`);
};

/** ip OBJECT [show|list|get] reads; ip … add/del/set/flush changes the network. */
const ip: CommandRule = (args, ctx) => {
  const ops = operandsOf(args, { valuedShort: 'nbf', valuedLong: ['netns', 'batch', 'family', 'rcvbuf'] });
  if (args.some((w) => w.value === '-b' || w.value === '-batch' || w.value === '--batch'))
    return verdict('destructive', `${ctx.name} -batch runs commands from a file`);
  const [object, action] = ops;
  if (!object) return verdict('read-only', `${ctx.name} alone prints its help`);
  if (uncertain(object) || (action && uncertain(action)))
    return verdict('privileged', `${ctx.name}'s arguments are decided at run time`);
  if (object.value === 'monitor' || object.value === 'help')
    return verdict('read-only', `${ctx.name} ${object.value} only reads`);
  if (object.value === 'netns' && action?.value === 'exec')
    return verdict('destructive', `${ctx.name} netns exec runs a command deckhand does not check`);
  if (!action || words('show list ls lst get s sh l li help identify pids').includes(action.value!)) {
    return verdict('read-only', `${ctx.name} ${object.value} ${action?.value ?? ''} only reads`.replace(/ +$/, ''));
  }
  return verdict('privileged', `${ctx.name} ${object.value} ${action.value} changes the network`);
};

const ifconfig: CommandRule = (args, ctx) =>
  args.length <= 1 && args.every((w) => w.value !== null && !w.value.includes('='))
    ? verdict('read-only', `${ctx.name} only shows interfaces`)
    : verdict('privileged', `${ctx.name} ${args.map(shown).join(' ')} changes an interface`);

const ss: CommandRule = (args, ctx) =>
  args.some((w) => w.value === null || /^(?:-[a-zA-Z]*K|--kill)$/.test(w.value))
    ? verdict('destructive', `${ctx.name} -K closes sockets`)
    : verdict('read-only', `${ctx.name} only lists sockets`);

const IPTABLES_CHANGES = words(
  'append check delete insert replace flush zero new-chain delete-chain policy rename-chain',
);

/** iptables -L/-S lists (as root); every other use changes the firewall. */
const iptables: CommandRule = (args, ctx) => {
  const lists = args.some((w) => w.value !== null && /^(?:-[a-zA-Z]*[LS]|--list)/.test(w.value));
  const changes = args.some(
    (w) =>
      w.value === null ||
      /^-[a-zA-Z]*[ACDIRFZNXPE]/.test(w.value) ||
      IPTABLES_CHANGES.includes(w.value.replace(/^--/, '')),
  );
  return lists && !changes
    ? verdict('read-only', `${ctx.name} only lists rules`)
    : verdict('privileged', `${ctx.name} changes the firewall`);
};

const nft = verbRule({
  reads: ['list', 'describe', 'monitor'],
  changing: words('add delete flush create insert replace reset destroy rename'),
  valuedShort: 'fI',
  valuedLong: ['file', 'includepath'],
  readOptions: ['-v', '--version'],
  alone: { class: 'privileged', why: 'reads commands from its input' },
  other: { class: 'privileged', does: 'changes the firewall' },
});
const ufw = verbRule({
  reads: ['status', 'show', 'app list', 'app info', 'version'],
  groups: ['app'],
  changing: words('enable disable reload reset allow deny reject limit delete insert route default logging prepend'),
  readOptions: ['--version'],
  alone: { class: 'read-only', why: 'prints its help' },
  other: { class: 'privileged', does: 'changes the firewall' },
});

/** nginx -t/-T/-v/-V only check or print; -s sends a signal to the running server. */
const nginx: CommandRule = (args, ctx) => {
  let checks = false;
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value;
    if (v !== null && /^-[cpeg]$/.test(v)) i++;
    else if (v !== null && /^-[tTvVhq?]+$/.test(v)) checks = true;
    else return verdict('destructive', `${ctx.name} ${shown(args[i]!)} starts or signals the server`);
  }
  return checks
    ? verdict('read-only', `${ctx.name} ${args.map(shown).join(' ')} only checks or prints`)
    : verdict('destructive', `${ctx.name} without -t starts the server`);
};

/** Whole-system commands with no read-only use. */
const PRIVILEGED: Readonly<Record<string, string>> = {
  reboot: 'reboots the machine',
  shutdown: 'shuts the machine down',
  poweroff: 'powers the machine off',
  halt: 'halts the machine',
  init: 'changes the run level',
  telinit: 'changes the run level',
  kexec: 'boots another kernel',
  useradd: 'adds a user',
  adduser: 'adds a user',
  userdel: 'deletes a user',
  deluser: 'deletes a user',
  usermod: 'changes a user',
  groupadd: 'adds a group',
  addgroup: 'adds a group',
  groupdel: 'deletes a group',
  delgroup: 'deletes a group',
  groupmod: 'changes a group',
  passwd: 'changes a password',
  chpasswd: 'changes passwords',
  chage: 'changes password ageing',
  gpasswd: 'changes a group',
  visudo: 'edits sudo rules',
  vipw: 'edits the user table',
  umount: 'unmounts a filesystem',
  swapon: 'enables swap',
  swapoff: 'disables swap',
  mkswap: 'formats swap',
  fdisk: 'edits partitions',
  sfdisk: 'edits partitions',
  gdisk: 'edits partitions',
  parted: 'edits partitions',
  wipefs: 'wipes filesystem signatures',
  mkfs: 'formats a filesystem',
  mke2fs: 'formats a filesystem',
  losetup: 'changes loop devices',
  cryptsetup: 'changes encrypted volumes',
  blkdiscard: 'discards a device',
  modprobe: 'loads or unloads kernel modules',
  insmod: 'loads a kernel module',
  rmmod: 'unloads a kernel module',
  hwclock: 'reads or sets the hardware clock',
  'update-rc.d': 'changes service start-up',
  chkconfig: 'changes service start-up',
  'rc-service': 'controls a system service',
  'rc-update': 'changes service start-up',
  'firewall-cmd': 'changes the firewall',
  ip6tables: 'changes the firewall',
  nsenter: 'enters other namespaces',
  unshare: 'makes new namespaces',
  setcap: 'changes file capabilities',
  'update-alternatives': 'changes system alternatives',
  'dpkg-reconfigure': 'reconfigures a package',
};

export const SYSTEM_RULES: ReadonlyMap<string, CommandRule> = new Map<string, CommandRule>([
  ['systemctl', systemctl],
  ['service', service],
  ['journalctl', journalctl],
  ['dmesg', dmesg],
  ['date', date],
  ['hostname', hostname],
  ['hostnamectl', settingsCtl(['status', 'show'], 'host name')],
  [
    'timedatectl',
    settingsCtl(['status', 'show', 'list-timezones', 'timesync-status', 'show-timesync'], 'clock settings'),
  ],
  [
    'localectl',
    settingsCtl(
      ['status', 'list-locales', 'list-keymaps', 'list-x11-keymap-models', 'list-x11-keymap-layouts'],
      'locale',
    ),
  ],
  ['sysctl', sysctl],
  ['mount', mount],
  ['ip', ip],
  ['ifconfig', ifconfig],
  ['ss', ss],
  ['iptables', iptables],
  ['iptables-legacy', iptables],
  ['iptables-nft', iptables],
  ['nft', nft],
  ['ufw', ufw],
  ['nginx', nginx],
  ...Object.entries(PRIVILEGED).map(([name, why]): [string, CommandRule] => [
    name,
    () => verdict('privileged', `${name} ${why}`),
  ]),
]);
