import { describe, expect, it } from 'vitest';
import { useRealEngine } from './engine.js';

const real = useRealEngine();
const classOf = (command: string) => real.classifier.classify(command).class;

describe('the policy matrix of issue 18', () => {
  it.each(['rm -f x', 'echo x > f', "sh -c 'rm x'", 'find / -delete', '$(rm x)', 'sudo ls'])(
    '%s is not read-only',
    (command) => {
      const c = real.classifier.classify(command);
      expect(c.class).not.toBe('read-only');
      expect(c.reasons.length).toBeGreaterThan(0);
    },
  );

  it.each(['ls -la', 'cat /etc/os-release | grep ID'])('%s is read-only', (command) => {
    const c = real.classifier.classify(command);
    expect(c.class).toBe('read-only');
    expect(c.reasons).toEqual([]);
  });

  it('names the part and the reason, shaped for a person', () => {
    expect(real.classifier.classify('ls -la; rm -f x').reasons).toEqual(['`rm -f x`: rm deletes files (destructive)']);
    expect(real.classifier.classify('echo x > f').reasons).toEqual(['`> f`: > f writes to the file f (destructive)']);
    expect(real.classifier.classify('sudo ls').reasons).toEqual(['`sudo ls`: sudo runs it as root (privileged)']);
  });
});

describe('shell structure is looked through', () => {
  it.each([
    ['ls && rm x', 'destructive'],
    ['ls || rm x', 'destructive'],
    ['ls | rm x', 'destructive'],
    ['ls |& rm x', 'destructive'],
    ['ls & rm x', 'destructive'],
    ['(cd /tmp && rm x)', 'destructive'],
    ['{ ls; rm x; }', 'destructive'],
    ['echo `rm x`', 'destructive'],
    ['echo "$(echo "$(rm x)")"', 'destructive'],
    ['echo ${x:-$(rm x)}', 'destructive'],
    ['diff <(ls) <(rm x)', 'destructive'],
    ['cat < <(rm x)', 'destructive'],
    ['x=$(rm y) ls', 'destructive'],
    ['export A=$(rm y)', 'destructive'],
    ['a[$(rm y)]=1', 'destructive'],
    ['[[ -n $(rm x) ]]', 'destructive'],
    ['for f in $(rm x); do :; done', 'destructive'],
    ['for f in *; do rm "$f"; done', 'destructive'],
    ['if true; then rm x; fi', 'destructive'],
    ['while false; do rm x; done', 'destructive'],
    ['case a in a) rm x;; esac', 'destructive'],
    ['f() { rm x; }; f', 'destructive'],
    ['cat <<EOF\n$(rm x)\nEOF', 'destructive'],
    ['cat <<EOF | sh\nrm x\nEOF', 'destructive'],
    ['cat <<EOF && rm x\nhello\nEOF', 'destructive'],
    ["cat <<'EOF'\n$(rm x)\nEOF", 'read-only'],
    ['ls # ; rm x', 'read-only'],
    ['ls a#;rm x', 'destructive'],
  ])('%j is %s', (command, expected) => {
    expect(classOf(command)).toBe(expected);
  });
});

describe('command names are read as bash reads them', () => {
  it.each([
    '\\rm x',
    "'rm' x",
    '"rm" x',
    '"r"m x',
    '"r"\\m x',
    "'r'$'m' x",
    'r\\m x',
    "$'\\x72m' x",
    "$'\\162m' x",
    '/bin/rm x',
    '/usr/bin/rm x',
    '/bin/../bin/rm x',
  ])('%s is rm', (command) => {
    const c = real.classifier.classify(command);
    expect(c.class).toBe('destructive');
    expect(c.parts[0]!.words[0]).toBe('rm');
  });

  it.each([
    ['$CMD x', 'decided at run time'],
    ['"$(echo rm)" x', 'decided at run time'],
    ['r* x', 'pattern'],
    ['/tmp/evil/ls', 'deckhand does not know'],
    ['{r,}m x', 'cannot check it'],
  ])('%s is destructive (%s)', (command, why) => {
    const c = real.classifier.classify(command);
    expect(c.class).toBe('destructive');
    expect(c.reasons.join('\n')).toContain(why);
  });
});

describe('prefixes are looked through', () => {
  it.each([
    'FOO=bar rm x',
    'env rm x',
    'env -i A=1 rm x',
    'env -u HOME rm x',
    'nice rm x',
    'nice -n 5 rm x',
    'nice -10 rm x',
    'ionice -c3 rm x',
    'timeout 5 rm x',
    'timeout -s KILL -k 2 5 rm x',
    'nohup rm x',
    'exec rm x',
    'command rm x',
    'command -p rm x',
    'builtin eval rm x',
    'time rm x',
    'stdbuf -oL rm x',
    'setsid rm x',
    'busybox rm x',
    'xargs rm',
    'xargs -0 -n1 rm',
    'find . -exec rm {} \\;',
    'find . -name x -execdir rm {} +',
    'eval rm x',
    "eval 'rm x'",
    "bash -c 'rm x'",
    "bash -lc 'rm x'",
    "sh -e -c 'rm x'",
    "dash -c 'ls; rm x' arg0",
    'sh -c "sh -c \'rm x\'"',
    "env -S 'rm x'",
    "trap 'rm x' EXIT",
    'ls | sh',
    'bash script.sh',
    'source ./x.sh',
    '. ./x.sh',
  ])('%s is destructive', (command) => {
    expect(classOf(command)).toBe('destructive');
  });

  it.each([
    'sudo rm x',
    'sudo -u app rm x',
    'sudo -E -- rm x',
    'sudo -i',
    'doas rm x',
    'pkexec rm x',
    "su -c 'rm x'",
    "su - postgres -c 'ls'",
    'runuser -u app ls',
    'chroot /srv ls',
    'nice sudo ls',
    'env sudo ls',
  ])('%s is privileged', (command) => {
    expect(classOf(command)).toBe('privileged');
  });

  it('joins pieces of one word that the grammar splits (bash reads `"-"\\delete` as -delete)', () => {
    expect(classOf('find . "-"\\delete')).toBe('destructive');
    expect(classOf('echo x > "/etc/"\\passwd')).toBe('privileged');
    expect(real.classifier.classify('x="a"\\ls rm').reasons.join('\n')).toContain(
      'one word to bash but two to the parser',
    );
  });

  it('an option a wrapper does not know fails closed instead of guessing which word is the command', () => {
    const c = real.classifier.classify('timeout --not-an-option ls rm -rf /');
    expect(c.class).toBe('destructive');
    expect(c.reasons.join('\n')).toContain('cannot tell which command timeout runs');
  });

  it('sees through wrappers for deny patterns (views) while keeping the words as written', () => {
    const part = real.classifier.classify('sudo -u app env A=1 rm -rf /tmp/x').parts[0]!;
    expect(part.words).toEqual(['sudo', '-u', 'app', 'env', 'A=1', 'rm', '-rf', '/tmp/x']);
    expect(part.views).toContainEqual(['rm', '-rf', '/tmp/x']);
  });

  it('a script handed to xargs -I or find -exec with {} is unknown, since the input is written into it', () => {
    expect(classOf('ls | xargs -I{} sh -c "cat {}"')).toBe('destructive');
    expect(classOf("find . -exec sh -c 'cat {}' \\;")).toBe('destructive');
    expect(classOf('find . -type f -exec sh -c \'cat "$1"\' _ {} \\;')).toBe('read-only');
  });
});

describe('redirects', () => {
  it.each([
    ['ls > /dev/null 2>&1', 'read-only'],
    ['ls 2>/dev/null', 'read-only'],
    ['ls &>/dev/null', 'read-only'],
    ['echo hi >&2', 'read-only'],
    ['cat < /etc/hosts', 'read-only'],
    ['cat <<< hi', 'read-only'],
    ['ls > out.txt', 'destructive'],
    ['ls >> out.txt', 'destructive'],
    ['ls >| out.txt', 'destructive'],
    ['ls &> out.txt', 'destructive'],
    ['ls 2> err.log', 'destructive'],
    ['ls > "$OUT"', 'destructive'],
    ['exec 3> /tmp/x', 'destructive'],
    ['{ ls; } > f', 'destructive'],
    ['while read l; do echo $l; done < in > out', 'destructive'],
    ['echo x > /etc/motd', 'privileged'],
    ['echo x > /tmp/../etc/motd', 'privileged'],
    ['cat <<EOF > /etc/app.conf\nkey=1\nEOF', 'privileged'],
    ['echo 1 > /dev/sda', 'privileged'],
  ])('%j is %s', (command, expected) => {
    expect(classOf(command)).toBe(expected);
  });
});

describe('read-only commands stay read-only only with reading arguments', () => {
  it.each([
    ['find / -name "*.conf" -type f', 'read-only'],
    ['find . -exec grep -l ERROR {} +', 'read-only'],
    ['find / -delete', 'privileged'],
    ['find . -delete', 'destructive'],
    ['find . -fprint out', 'destructive'],
    ['find . -name *.log', 'destructive'],
    ["sed -n '1,5p' f", 'read-only'],
    ["sed -e 's/a/b/g' -e '/x/d' f", 'read-only'],
    ["sed -i 's/a/b/' f", 'destructive'],
    ["sed -ni 's/a/b/p' f", 'destructive'],
    ["sed 's/a/b/w out' f", 'destructive'],
    ["sed '1e rm x' f", 'destructive'],
    ["awk '{print $1}' f", 'read-only'],
    ['awk \'{print > "out"}\' f', 'destructive'],
    ['awk \'BEGIN{system("rm x")}\'', 'destructive'],
    ['sort -rn f', 'read-only'],
    ['sort -o out f', 'destructive'],
    ['uniq a', 'read-only'],
    ['uniq a b', 'destructive'],
    ['tee -a /dev/null', 'read-only'],
    ['tee out', 'destructive'],
    ['tee /etc/hosts', 'privileged'],
    ['tar tzf x.tgz', 'read-only'],
    ['tar xzf x.tgz', 'destructive'],
    ['tar -czf x.tgz dir', 'destructive'],
    ['curl -s http://localhost:8080/health', 'read-only'],
    ['curl -fsSL -o /dev/null http://x', 'read-only'],
    ['curl -o out http://x', 'destructive'],
    ['curl -sSo out http://x', 'destructive'],
    ['curl -X DELETE http://x', 'destructive'],
    ['curl -d a=1 http://x', 'destructive'],
    ['date +%F', 'read-only'],
    ['date -s "2020-01-01"', 'privileged'],
    ['hostname -I', 'read-only'],
    ['hostname web-2', 'privileged'],
    ['crontab -l', 'read-only'],
    ['crontab -r', 'destructive'],
    ['git status', 'read-only'],
    ['git log --oneline -n 5', 'read-only'],
    ['git -c core.pager=sh log', 'destructive'],
    ['git pull', 'destructive'],
    ['test -v "a[\\$(rm x)]"', 'destructive'],
  ])('%j is %s', (command, expected) => {
    expect(classOf(command)).toBe(expected);
  });
});

describe('services, containers and packages', () => {
  it.each([
    ['systemctl status nginx', 'read-only'],
    ['systemctl is-active --quiet nginx', 'read-only'],
    ['systemctl list-units --type service', 'read-only'],
    ['systemctl', 'read-only'],
    ['systemctl restart nginx', 'privileged'],
    ['systemctl start nginx', 'privileged'],
    ['systemctl stop nginx', 'privileged'],
    ['systemctl --no-pager status stop', 'privileged'],
    ['service nginx status', 'read-only'],
    ['service nginx restart', 'privileged'],
    ['journalctl -u nginx -n 100 --no-pager', 'read-only'],
    ['journalctl --vacuum-time=2d', 'privileged'],
    ['docker ps -a', 'read-only'],
    ['docker logs --tail 50 web', 'read-only'],
    ['docker inspect web', 'read-only'],
    ['docker container ls', 'read-only'],
    ["docker ps --format '{{.Names}}'", 'read-only'],
    ['docker compose -f x.yml ps', 'read-only'],
    ['docker rm -f web', 'destructive'],
    ['docker exec web ls', 'destructive'],
    ['docker compose -f x.yml down', 'destructive'],
    ['docker run --rm busybox ls', 'destructive'],
    ['kubectl get pods -A', 'read-only'],
    ['kubectl delete pod x', 'destructive'],
    ['apt list --installed', 'read-only'],
    ['apt-cache policy nginx', 'read-only'],
    ['dpkg -l', 'read-only'],
    ['rpm -qa', 'read-only'],
    ['apt-get install -y nginx', 'privileged'],
    ['apt update', 'privileged'],
    ['dpkg -i x.deb', 'privileged'],
    ['yum install x', 'privileged'],
    ['apk add x', 'privileged'],
    ['pacman -Syu', 'privileged'],
    ['ip addr show', 'read-only'],
    ['ip route', 'read-only'],
    ['ip link set eth0 down', 'privileged'],
    ['iptables -L -n', 'read-only'],
    ['iptables -A INPUT -j DROP', 'privileged'],
    ['sysctl net.ipv4.ip_forward', 'read-only'],
    ['sysctl -w net.ipv4.ip_forward=1', 'privileged'],
    ['mount', 'read-only'],
    ['mount /dev/sdb1 /mnt', 'privileged'],
    ['reboot', 'privileged'],
    ['useradd bob', 'privileged'],
    ['chmod 600 /etc/shadow', 'privileged'],
    ['chown -R app /srv/app', 'destructive'],
    ['rm -rf /var/lib/docker', 'privileged'],
    ['nginx -t', 'read-only'],
    ['nginx -s reload', 'destructive'],
  ])('%j is %s', (command, expected) => {
    expect(classOf(command)).toBe(expected);
  });

  it('a day-to-day read-only session stays read-only', () => {
    for (const command of [
      'df -h; du -sh /var/log; uptime; free -m',
      'ps aux | grep nginx | grep -v grep',
      'tail -n 200 /var/log/syslog | grep -i error',
      'cat /proc/loadavg',
      'ss -tlnp',
      'id; whoami; uname -a; hostname',
      'stat /etc/passwd',
      'if [ -f /etc/os-release ]; then . /etc/os-release; echo $ID; fi',
    ]) {
      const c = real.classifier.classify(command);
      if (command.includes('. /etc/os-release')) expect(c.class).toBe('destructive');
      else
        expect({ command, class: c.class, reasons: c.reasons }).toEqual({ command, class: 'read-only', reasons: [] });
    }
  });
});

describe('text that bash may run later', () => {
  it.each([
    ["x='a[$(rm -rf /tmp/x)]'; echo $((x))", 'holds a command as text'],
    ["x='$(rm x)'; echo ${x@P}", 'holds a command as text'],
    ["export X='`rm x`'", 'holds a command as text'],
    ["a=('$(rm x)' b)", 'holds a command as text'],
    ['PATH=/tmp/bin:$PATH ls', 'setting PATH'],
    ['LD_PRELOAD=/tmp/x.so ls', 'setting LD_PRELOAD'],
  ])('%j is destructive (%s)', (command, why) => {
    const c = real.classifier.classify(command);
    expect(c.class).toBe('destructive');
    expect(c.reasons.join('\n')).toContain(why);
  });

  it('a real substitution in a value is read as one, not as text', () => {
    expect(classOf('x="$(hostname)"; echo "$x"')).toBe('read-only');
    expect(classOf('x=$(rm y)')).toBe('destructive');
  });
});

describe('what cannot be read counts as destructive', () => {
  it.each([
    ['echo "unterminated', 'cannot check it'],
    ['ls )', 'cannot check it'],
    ['echo x\\\ny', 'backslash-newline inside a word'],
    ['x'.repeat(70_000), 'longer than'],
    ['sh -c "$SCRIPT"', 'decided at run time'],
  ])('%j', (command, why) => {
    const c = real.classifier.classify(command);
    expect(c.class).toBe('destructive');
    expect(c.reasons.join('\n')).toContain(why);
  });

  it('scripts nested deeper than the limit are not read', () => {
    let command = 'ls';
    for (let i = 0; i < 8; i++) command = `sh -c ${JSON.stringify(command)}`;
    const c = real.classifier.classify(command);
    expect(c.class).toBe('destructive');
    expect(c.reasons.join('\n')).toContain('nested more than');
  });

  it('an empty command line is read-only', () => {
    expect(real.classifier.classify('').class).toBe('read-only');
    expect(real.classifier.classify('  # just a comment').class).toBe('read-only');
  });
});
