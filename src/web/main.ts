/**
 * @file The web app's entry point: checks for WebGPU (and says how to get it), starts the engine on the
 * browser's GPU and shows the adapter, then wires the three cards — Train, Checkpoint, Edit — and the
 * banner that offers to resume from the last checkpoint when the GPU device is lost.
 */
import { init, onDeviceLost, type DeviceInfo } from '../engine/index.ts';
import { readCheckpoint } from '../sagan/checkpoint.ts';
import { $, say, download, fileBytes, message } from './dom.ts';
import { missingWebGPUHelp } from './webgpu-help.ts';
import { TrainPanel, type TrainState } from './train-panel.ts';
import { EditPanel } from './edit-panel.ts';

function showAdapter(info: DeviceInfo): void {
  const a = info.adapter;
  const name = a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const f16 = info.features.includes('shader-f16') ? ', shader-f16' : '';
  say($('gpu'), `GPU: ${name} (WebGPU${f16})`, 'ok');
}

function banner(text: string, action?: { label: string; run: () => Promise<void> }): void {
  const b = $('banner'), button = $<HTMLButtonElement>('banner-action');
  b.hidden = false;
  $('banner-text').textContent = text;
  button.hidden = !action;
  if (action) {
    button.textContent = action.label;
    button.onclick = async () => {
      button.disabled = true;
      try {
        await action.run();
        b.hidden = true;
      } catch (e) {
        $('banner-text').textContent = `${text} Retrying failed: ${message(e)}`;
      } finally {
        button.disabled = false;
      }
    };
  }
}

async function main(): Promise<void> {
  if (!navigator.gpu) {
    say($('gpu'), 'No WebGPU in this browser.', 'error');
    banner(missingWebGPUHelp(navigator.userAgent, window.isSecureContext, location.host));
    document.body.dataset.ready = 'no-webgpu';
    return;
  }
  try {
    showAdapter(await init());
  } catch (e) {
    say($('gpu'), 'WebGPU is here but gave no GPU.', 'error');
    banner(message(e));
    document.body.dataset.ready = 'no-adapter';
    return;
  }
  const train = new TrainPanel(), editor = new EditPanel();
  void editor.offerShipped();

  // Checkpoint card.
  const ckptStatus = $('ckpt-status');
  let uploaded: { bytes: Uint8Array; name: string } | null = null;
  const refresh = (s: TrainState) => {
    const none = !train.hasRun && !train.last;
    $<HTMLButtonElement>('ckpt-download').disabled = none;
    $<HTMLButtonElement>('edit-use-trained').disabled = none;
    $<HTMLButtonElement>('ckpt-resume').disabled = !uploaded || s === 'running' || s === 'preparing' || s === 'lost';
  };
  train.onChange = (s) => {
    refresh(s);
    // A finished run is what the user wants to try: hand it to the editor unless they loaded a file there.
    if (s === 'done' && train.last && !editor.hasFileModel) editor.loadCheckpoint(train.last.bytes, `this page's run, iteration ${train.last.step}`, false);
  };
  $('ckpt-download').addEventListener('click', async () => {
    say(ckptStatus, 'Taking a checkpoint after the current iteration…');
    try {
      const snap = await train.snapshot();
      if (!snap) return say(ckptStatus, 'No checkpoint yet: start training first.', 'error');
      const m = snap.config.model;
      download(snap.bytes, `sagan-${snap.config.attribute}-${m.size}px-w${m.width}-it${snap.step}.safetensors`);
      say(ckptStatus, `Downloaded the checkpoint of iteration ${snap.step} (${(snap.bytes.length / 2 ** 20).toFixed(1)} MiB). ` +
        'It resumes here or with `sagan train --resume`, and edits with `sagan edit`.', 'ok');
    } catch (e) {
      say(ckptStatus, `Could not take a checkpoint: ${message(e)}`, 'error');
    }
  });
  $('ckpt-file').addEventListener('change', async () => {
    const f = $<HTMLInputElement>('ckpt-file').files?.[0];
    if (!f) return;
    uploaded = null;
    try {
      const bytes = await fileBytes(f);
      const ck = readCheckpoint(bytes, f.name);
      editor.loadCheckpoint(bytes, f.name, true);
      const m = ck.meta.config.model, canResume = Boolean(ck.optMeta.optG && ck.optMeta.optD);
      if (canResume) uploaded = { bytes, name: f.name };
      say(ckptStatus, `${f.name}: iteration ${ck.meta.step}, ${String(ck.meta.config.attribute)}, ${m.size}² width ${m.width}, ${m.nRes} res blocks. ` +
        `Loaded into the editor${canResume ? '; “Continue training” resumes it' : ' (weights only: cannot resume training)'}.`, 'ok');
    } catch (e) {
      say(ckptStatus, message(e), 'error');
    }
    refresh(train.status);
  });
  $('ckpt-resume').addEventListener('click', () => uploaded && void train.continueFrom(uploaded.bytes, uploaded.name));
  $('edit-use-trained').addEventListener('click', async () => {
    say($('edit-status'), 'Taking the model from the training run after the current iteration…');
    try {
      const snap = await train.snapshot();
      if (snap) editor.loadCheckpoint(snap.bytes, `this page's run, iteration ${snap.step}`, false);
    } catch (e) {
      say($('edit-status'), `Could not take the model from the training run: ${message(e)}`, 'error');
    }
  });
  refresh(train.status);

  onDeviceLost((reason) => {
    const wasRunning = train.status === 'running' || train.status === 'preparing';
    train.deviceLost();
    editor.deviceLost();
    say($('gpu'), 'GPU device lost.', 'error');
    const last = train.last;
    banner(`The GPU device was lost (${reason || 'no reason given'}): the browser reset the GPU or ran out of GPU memory.` +
      `${wasRunning ? ' Training stopped.' : ''}${last ? ` The last checkpoint, kept in this page, is from iteration ${last.step}.` : ''}`, {
      label: last ? `Resume from the last checkpoint (iteration ${last.step})` : 'Reconnect the GPU',
      run: async () => {
        showAdapter(await init());
        await train.recover(wasRunning);
        editor.update();
      },
    });
  });
  document.body.dataset.ready = 'yes';
}

main().catch((e) => {
  banner(`The page failed to start: ${message(e)}`);
  document.body.dataset.ready = 'failed';
});
