import readline from 'node:readline';

/** Asks on the terminal; with `hidden`, typed characters are not echoed. */
export function prompt(question: string, options: { hidden?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({
      input: process.stdin,
      output: process.stderr,
      terminal: process.stdin.isTTY,
    });
    if (options.hidden && process.stdin.isTTY) {
      const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        write.call(rl, s.startsWith(question) ? question : '');
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (options.hidden && process.stdin.isTTY) process.stderr.write('\n');
      resolve(answer);
    });
    rl.on('close', () => reject(new Error('no input')));
  });
}
