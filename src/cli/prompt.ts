import readline from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from './errors';

/**
 * Questions for the person at the terminal, or lines read from a pipe
 * (`printf '%s\n' "$PASSWORD" | … user:password alice`). One reader serves
 * every question of a command: a second reader would lose the lines the first
 * had already buffered.
 */
interface Reader {
  readonly lines: AsyncIterator<string>;
  /** While muted, what is typed is not echoed (passwords). */
  mute(on: boolean): void;
}

let reader: (Reader & { close(): void }) | undefined;

function open(): Reader {
  if (reader) return reader;
  let muted = false;
  // readline echoes through its output; this one drops the echo while muted.
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = readline.createInterface({
    input: process.stdin,
    output,
    terminal: Boolean(process.stdin.isTTY),
  });
  reader = {
    lines: rl[Symbol.asyncIterator](),
    mute: (on) => {
      muted = on;
    },
    close: () => rl.close(),
  };
  return reader;
}

/** Gives the terminal back (readline's raw mode off) once a command is done. */
export function closePrompts(): void {
  reader?.close();
  reader = undefined;
}

export const isInteractive = (): boolean => Boolean(process.stdin.isTTY);

/** The next answer; on a terminal the question is shown (on stderr), with `hidden` nothing is echoed. */
export async function prompt(
  question: string,
  options: { hidden?: boolean } = {},
): Promise<string> {
  const { lines, mute } = open();
  const tty = isInteractive();
  if (tty) process.stderr.write(question);
  mute(Boolean(options.hidden && tty));
  const next = await lines.next();
  mute(false);
  if (options.hidden && tty) process.stderr.write('\n');
  if (next.done) throw new UsageError(`No answer to "${question.trim()}": the input ended.`);
  return next.value;
}

/**
 * A new password: asked twice on a terminal, one line from a pipe. A password
 * given as an argument works too, with a warning: others on the machine can
 * read a command line (ps), and the shell keeps it in its history.
 */
export async function newPasswordInput(fromArgs: string | undefined): Promise<string> {
  if (fromArgs !== undefined) {
    process.stderr.write(
      'Warning: a password given on the command line can be seen by other users (ps) and is kept in your shell history. Leave out --password to be asked, or pipe it on stdin.\n',
    );
    return fromArgs;
  }
  const password = await prompt('New password: ', { hidden: true });
  if (isInteractive() && (await prompt('Repeat it: ', { hidden: true })) !== password) {
    throw new UsageError('The two passwords do not match: nothing was changed.');
  }
  return password;
}
