// A progress bar on stderr. On a terminal it redraws one line; elsewhere (CI logs) it prints a
// line every tenth of the way, so logs stay short.
export interface Progress {
  tick(): void;
  done(): void;
}

export function progressBar(label: string, total: number, out = process.stderr): Progress {
  const width = 30;
  let count = 0;
  let lastDecile = -1;
  const draw = () => {
    const fraction = total === 0 ? 1 : count / total;
    if (out.isTTY) {
      const filled = Math.round(fraction * width);
      const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
      out.write(`\r${label.padEnd(24)} ${bar} ${count}/${total}`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      out.write(`${label.padEnd(24)} ${count}/${total}\n`);
    }
  };
  draw();
  return {
    tick: () => {
      count++;
      draw();
    },
    done: () => {
      if (out.isTTY) out.write("\n");
    },
  };
}
