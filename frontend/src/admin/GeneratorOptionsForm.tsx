import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { GeneratorSettings, Size } from './types';
import { useSaveGeneratorSettings } from './useSaveGeneratorSettings';

interface Draft {
  presets: string;
  defaultSize: string;
  minSide: number;
  maxSide: number;
  maxPixels: number;
  samplers: string;
  defaultSampler: string;
  schedulers: string;
  defaultScheduler: string;
  stepsDefault: number;
  stepsMax: number;
  cfgDefault: number;
  cfgMin: number;
  cfgMax: number;
  maxBatch: number;
  maxConcurrentPerUser: number;
  dailyPerUser: number;
  adminsExempt: boolean;
}

const sizeText = (s: Size) => `${s.width}x${s.height}`;

function toDraft(s: GeneratorSettings): Draft {
  return {
    presets: s.sizes.presets.map(sizeText).join(', '),
    defaultSize: sizeText(s.sizes.default),
    minSide: s.sizes.minSide,
    maxSide: s.sizes.maxSide,
    maxPixels: s.sizes.maxPixels,
    samplers: s.samplers.join(', '),
    defaultSampler: s.defaultSampler,
    schedulers: s.schedulers.join(', '),
    defaultScheduler: s.defaultScheduler,
    stepsDefault: s.steps.default,
    stepsMax: s.steps.max,
    cfgDefault: s.cfg.default,
    cfgMin: s.cfg.min,
    cfgMax: s.cfg.max,
    maxBatch: s.maxBatch,
    maxConcurrentPerUser: s.limits.maxConcurrentPerUser,
    dailyPerUser: s.limits.dailyPerUser,
    adminsExempt: s.limits.adminsExempt ?? false,
  };
}

/** "1024x1024, 832 x 1216" -> sizes; null when any part is not WIDTHxHEIGHT. */
export function parseSizes(text: string): Size[] | null {
  const parts = text.split(/[,;\n]/).map((p) => p.trim()).filter(Boolean);
  const sizes: Size[] = [];
  for (const part of parts) {
    const match = /^(\d+)\s*[x×]\s*(\d+)$/i.exec(part);
    if (!match) return null;
    sizes.push({ width: Number(match[1]), height: Number(match[2]) });
  }
  return sizes;
}

function parseNames(text: string): string[] {
  return text.split(/[,\s]+/).map((n) => n.trim()).filter(Boolean);
}

/** Sizes, samplers, schedulers, step/CFG ranges, batch size and per-user limits. */
export default function GeneratorOptionsForm({ settings }: { settings: GeneratorSettings }) {
  const [draft, setDraft] = useState<Draft>(() => toDraft(settings));
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setDraft(toDraft(settings)), [settings]);
  const save = useSaveGeneratorSettings('Generator options saved');

  function set<K extends keyof Draft>(key: K, value: Draft[K]) {
    setDraft((d) => ({ ...d, [key]: value }));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const presets = parseSizes(draft.presets);
    const defaults = parseSizes(draft.defaultSize);
    if (!presets || presets.length === 0 || !defaults || defaults.length !== 1) {
      setProblem('Sizes are written WIDTHxHEIGHT, e.g. 1024x1024; presets separated by commas.');
      return;
    }
    setProblem(null);
    // Ranges and cross-field rules (default within range, multiples of 8) are the server's to check.
    save.mutate({
      sizes: {
        presets,
        default: defaults[0],
        minSide: draft.minSide,
        maxSide: draft.maxSide,
        maxPixels: draft.maxPixels,
      },
      samplers: parseNames(draft.samplers),
      defaultSampler: draft.defaultSampler.trim(),
      schedulers: parseNames(draft.schedulers),
      defaultScheduler: draft.defaultScheduler.trim(),
      steps: { default: draft.stepsDefault, max: draft.stepsMax },
      cfg: { default: draft.cfgDefault, min: draft.cfgMin, max: draft.cfgMax },
      maxBatch: draft.maxBatch,
      limits: {
        maxConcurrentPerUser: draft.maxConcurrentPerUser,
        dailyPerUser: draft.dailyPerUser,
        adminsExempt: draft.adminsExempt,
      },
      version: settings.version,
    });
  }

  const number = (key: keyof Draft, label: string, step = 1): ReactNode => (
    <label className="admin-field">
      <span className="admin-field__label">{label}</span>
      <input
        type="number"
        required
        step={step}
        value={draft[key] as number}
        onChange={(e) => set(key, Number(e.target.value) as never)}
      />
    </label>
  );
  const text = (key: keyof Draft, label: string, hint?: string): ReactNode => (
    <label className="admin-field admin-field--wide">
      <span className="admin-field__label">{label}</span>
      <input required value={draft[key] as string} onChange={(e) => set(key, e.target.value as never)} />
      {hint && <span className="admin-hint">{hint}</span>}
    </label>
  );

  return (
    <section className="admin-panel" aria-labelledby="generator-options-title">
      <h3 id="generator-options-title">Options and limits</h3>
      <form className="admin-form" onSubmit={submit}>
        <fieldset className="admin-fieldset">
          <legend>Sizes</legend>
          {text('presets', 'Size presets', 'WIDTHxHEIGHT, separated by commas; sides in multiples of 8.')}
          {text('defaultSize', 'Default size')}
          {number('minSide', 'Smallest side')}
          {number('maxSide', 'Largest side')}
          {number('maxPixels', 'Most pixels')}
        </fieldset>
        <fieldset className="admin-fieldset">
          <legend>Sampling</legend>
          {text('samplers', 'Samplers', 'ComfyUI sampler names, separated by commas.')}
          {text('defaultSampler', 'Default sampler')}
          {text('schedulers', 'Schedulers', 'ComfyUI scheduler names, separated by commas.')}
          {text('defaultScheduler', 'Default scheduler')}
          {number('stepsDefault', 'Default steps')}
          {number('stepsMax', 'Most steps')}
          {number('cfgDefault', 'Default CFG', 0.5)}
          {number('cfgMin', 'Lowest CFG', 0.5)}
          {number('cfgMax', 'Highest CFG', 0.5)}
          {number('maxBatch', 'Largest batch')}
        </fieldset>
        <fieldset className="admin-fieldset">
          <legend>Per-user limits</legend>
          {number('maxConcurrentPerUser', 'Concurrent requests per user')}
          {number('dailyPerUser', 'Requests per user per day')}
          <label className="admin-check">
            <input type="checkbox" checked={draft.adminsExempt} onChange={(e) => set('adminsExempt', e.target.checked)} />
            Administrators are exempt
          </label>
        </fieldset>
        {problem && (
          <p className="admin-error" role="alert">
            {problem}
          </p>
        )}
        <div className="admin-dialog-actions">
          <button className="vs-button" type="button" onClick={() => setDraft(toDraft(settings))}>
            Undo changes
          </button>
          <button type="submit" className="vs-button vs-button--primary" disabled={save.isPending}>
            Save options
          </button>
        </div>
      </form>
    </section>
  );
}
