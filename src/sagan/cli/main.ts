/**
 * @file The `sagan` command dispatcher: commands, help, and exit codes (2 for usage errors, 1 for
 * failures). The program entry is src/sagan/cli.ts.
 */
import process from 'node:process';
import { UsageError, usage, type Flags } from './args.ts';
import { TRAIN_FLAGS, trainCommand } from './train.ts';
import { EDIT_FLAGS, editCommand } from './edit.ts';
import { QUICKSTART_FLAGS, quickstartCommand } from './quickstart.ts';
import { CLASSIFIER_FLAGS, trainClassifierCommand } from './classifier.ts';
import { EVAL_FLAGS, evalCommand } from './eval.ts';
import { AUGMENT_FLAGS, augmentCommand } from './augment.ts';
import { EXPORT_FLAGS, exportCommand } from './export.ts';

interface Command {
  summary: string;
  flags: Flags;
  positional?: string;
  run(argv: string[]): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  train: { summary: 'Train SaGAN on synthetic faces or a CelebA-layout folder.', flags: TRAIN_FLAGS, run: trainCommand },
  edit: { summary: 'Edit images with a trained checkpoint (writes edited images and attention masks).', flags: EDIT_FLAGS, positional: 'IMAGE...', run: editCommand },
  quickstart: { summary: 'Train a small model on synthetic faces and write a grid of held-out edits (what `npm start` runs).', flags: QUICKSTART_FLAGS, run: quickstartCommand },
  'train-classifier': { summary: 'Train the attribute classifier that judges edits; prints and writes its test accuracy.', flags: CLASSIFIER_FLAGS, run: trainClassifierCommand },
  eval: { summary: 'Score checkpoints on held-out images: edit success, mask IoU, preservation, reconstruction (JSON, Markdown, grids).', flags: EVAL_FLAGS, run: evalCommand },
  export: { summary: "Write a checkpoint's generator alone (the small file edit, eval and the web app need; what models/ ships).", flags: EXPORT_FLAGS, run: exportCommand },
  augment: { summary: 'Write each image with the attribute added and removed, plus a manifest (data augmentation).', flags: AUGMENT_FLAGS, positional: 'IMAGE...', run: augmentCommand },
};

function mainHelp(): string {
  return `usage: sagan <command> [options]\n\ncommands:\n${Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(17)} ${c.summary}`).join('\n')}\n\n'sagan <command> --help' shows a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainHelp());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`sagan: unknown command '${name}'\n\n${mainHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(usage(name, cmd.summary, cmd.flags, cmd.positional));
    return 0;
  }
  try {
    await cmd.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    console.error(`sagan ${name}: ${(e as Error).message || String(e)}`);
    if (process.env.SAGAN_DEBUG) console.error((e as Error).stack);
    return 1;
  }
}
