import { reads, verdict, type CommandRule } from './rule.js';
import { words } from './lists.js';

/**
 * Commands that only read or print whatever their arguments, and shell builtins that only change the shell itself
 * (a one-off shell, gone when the command ends). Output redirects are judged apart, so `echo x > f` still writes.
 * Anything not named here or in the other rule tables counts as destructive.
 */
const READ_ONLY = [
  // files and text
  ...words(`
    ls dir vdir cat tac head tail less more grep egrep fgrep zgrep zcat bzcat xzcat zless rg ag wc cut tr nl od
    hexdump strings file stat du df tree realpath readlink basename dirname diff cmp comm md5sum sha1sum sha224sum
    sha256sum sha384sum sha512sum b2sum cksum sum base64 base32 column fold fmt paste join expand unexpand rev seq jq
    lsattr getfacl namei look locate whereis which type printf echo
  `),
  // system state
  ...words(`
    uptime ps pgrep pidof pstree top htop free vmstat iostat mpstat sar nproc lscpu lsblk lsusb lspci lsmod lsof
    findmnt blkid id whoami groups who w users last lastlog uname arch lsb_release getent locale printenv tty logname
    netstat dig nslookup host ping ping6 traceroute tracepath mtr systemd-analyze nvidia-smi
    sensors ulimit getconf
  `),
  // shell builtins that only change this shell, or do nothing
  ...words(`
    true false : test [ pwd cd pushd popd dirs set shopt export declare typeset local readonly unset alias unalias
    shift read wait sleep exit return break continue umask jobs history getopts times help
    caller
  `),
];

/**
 * Builtins that bash evaluates arithmetic or array subscripts in: a literal `a[$(cmd)]` given to them runs cmd
 * (`test -v 'a[$(rm x)]'`), so such an argument makes them destructive.
 */
const EVALUATING_BUILTINS = new Set(
  words('test [ read printf declare typeset local export readonly unset shift exit return wait getopts'),
);

const builtin =
  (name: string): CommandRule =>
  (args) => {
    const hidden = args.find((w) => w.value !== null && /\$\(|`/.test(w.value));
    return hidden
      ? verdict('destructive', `bash may evaluate ${hidden.raw} given to ${name}, which runs the command inside it`)
      : reads(name);
  };

export const READ_ONLY_RULES: ReadonlyMap<string, CommandRule> = new Map(
  READ_ONLY.map((name): [string, CommandRule] => [
    name,
    EVALUATING_BUILTINS.has(name) ? builtin(name) : () => reads(name),
  ]),
);
