import { useEffect, useState, type FormEvent } from 'react';
import { useSaveGeneratorSettings } from './useSaveGeneratorSettings';
import type { BaseModelEntry, BaseModelSource, BaseModelType, GeneratorSettings } from './types';

const TYPES: BaseModelType[] = ['SD1.5', 'SDXL', 'PonyXL', 'SD3', 'Flux', 'Other'];
const MAX_ENTRIES = 32;

interface Draft extends BaseModelEntry {
  /** Stable React key: `id` is being edited. */
  rowKey: number;
}

function toDrafts(entries: BaseModelEntry[]): Draft[] {
  return entries.map((entry, index) => ({ ...entry, rowKey: index }));
}

/** The base models members choose from: catalog checkpoints or files in the base-model bucket. */
export default function BaseModelsEditor({ settings }: { settings: GeneratorSettings }) {
  const [rows, setRows] = useState<Draft[]>(() => toDrafts(settings.baseModels));
  const [nextKey, setNextKey] = useState(settings.baseModels.length);
  useEffect(() => {
    setRows(toDrafts(settings.baseModels));
    setNextKey(settings.baseModels.length);
  }, [settings.baseModels]);
  const save = useSaveGeneratorSettings('Base models saved');

  function update(rowKey: number, change: Partial<BaseModelEntry>) {
    setRows((current) => current.map((r) => (r.rowKey === rowKey ? { ...r, ...change } : r)));
  }

  function makeDefault(rowKey: number) {
    setRows((current) => current.map((r) => ({ ...r, default: r.rowKey === rowKey })));
  }

  function add() {
    setRows((current) => [
      ...current,
      { rowKey: nextKey, id: '', label: '', type: 'SDXL', source: 'bucket', modelId: null, key: '', sha256: null, default: false },
    ]);
    setNextKey((k) => k + 1);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    // Each source has its own reference: catalog entries a model id, bucket entries a key (and digest).
    const baseModels: BaseModelEntry[] = rows.map((r) => ({
      id: r.id.trim(),
      label: r.label.trim(),
      type: r.type,
      source: r.source,
      modelId: r.source === 'catalog' ? (r.modelId ?? '').trim() : null,
      key: r.source === 'bucket' ? (r.key ?? '').trim() : null,
      sha256: r.source === 'bucket' && r.sha256?.trim() ? r.sha256.trim() : null,
      default: r.default,
    }));
    save.mutate({ baseModels, version: settings.version });
  }

  return (
    <section className="admin-panel" aria-labelledby="base-models-title">
      <h3 id="base-models-title">Base models</h3>
      <form onSubmit={submit} className="admin-form">
        {rows.length === 0 ? (
          <p className="admin-muted">No base models: members cannot generate until one is added.</p>
        ) : (
          <ul className="admin-entries" aria-label="Base model entries">
            {rows.map((row, index) => {
              const n = index + 1;
              return (
                <li key={row.rowKey} className="admin-entry">
                  <fieldset>
                    <legend>
                      Entry {n}
                      {row.label ? `: ${row.label}` : ''}
                    </legend>
                    <label className="admin-field">
                      <span className="admin-field__label">Entry id</span>
                      <input
                        required
                        pattern="[a-z0-9][a-z0-9\-]{0,39}"
                        title="1 to 40 lower-case letters, digits or hyphens"
                        value={row.id}
                        onChange={(e) => update(row.rowKey, { id: e.target.value })}
                      />
                    </label>
                    <label className="admin-field">
                      <span className="admin-field__label">Label</span>
                      <input required maxLength={120} value={row.label} onChange={(e) => update(row.rowKey, { label: e.target.value })} />
                    </label>
                    <label className="admin-field">
                      <span className="admin-field__label">Type</span>
                      <select value={row.type} onChange={(e) => update(row.rowKey, { type: e.target.value as BaseModelType })}>
                        {TYPES.map((t) => (
                          <option key={t} value={t}>
                            {t}
                          </option>
                        ))}
                      </select>
                    </label>
                    <label className="admin-field">
                      <span className="admin-field__label">Source</span>
                      <select
                        value={row.source}
                        onChange={(e) => update(row.rowKey, { source: e.target.value as BaseModelSource })}
                      >
                        <option value="bucket">Base-model bucket (key)</option>
                        <option value="catalog">Catalog model</option>
                      </select>
                    </label>
                    {row.source === 'catalog' ? (
                      <label className="admin-field">
                        <span className="admin-field__label">Catalog model id</span>
                        <input
                          required
                          pattern="[A-Za-z0-9_\-]{1,64}"
                          value={row.modelId ?? ''}
                          onChange={(e) => update(row.rowKey, { modelId: e.target.value })}
                        />
                      </label>
                    ) : (
                      <>
                        <label className="admin-field">
                          <span className="admin-field__label">Object key</span>
                          <input
                            required
                            maxLength={512}
                            placeholder="sdxl/base-1.0.safetensors"
                            value={row.key ?? ''}
                            onChange={(e) => update(row.rowKey, { key: e.target.value })}
                          />
                        </label>
                        <label className="admin-field">
                          <span className="admin-field__label">SHA-256 (optional)</span>
                          <input
                            pattern="[0-9a-fA-F]{64}"
                            title="64 hexadecimal characters"
                            value={row.sha256 ?? ''}
                            onChange={(e) => update(row.rowKey, { sha256: e.target.value })}
                          />
                        </label>
                      </>
                    )}
                    <label className="admin-check">
                      <input
                        type="radio"
                        name="default-base-model"
                        checked={row.default}
                        onChange={() => makeDefault(row.rowKey)}
                      />
                      Default
                    </label>
                    <button className="vs-button"
                      type="button"
                      aria-label={`Remove entry ${n}`}
                      onClick={() => setRows((current) => current.filter((r) => r.rowKey !== row.rowKey))}
                    >
                      Remove
                    </button>
                  </fieldset>
                </li>
              );
            })}
          </ul>
        )}
        <div className="admin-row-actions">
          <button className="vs-button" type="button" onClick={add} disabled={rows.length >= MAX_ENTRIES}>
            Add base model
          </button>
          <button type="submit" className="vs-button vs-button--primary" disabled={save.isPending}>
            Save base models
          </button>
        </div>
      </form>
    </section>
  );
}
