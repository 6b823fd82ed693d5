import { useEffect, useId, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { generatorKeys, searchLoras } from "./generatorApi";
import { baseModelFilters, isCompatible } from "./loraCompatibility";
import { MAX_LORAS, STRENGTH_MAX, STRENGTH_MIN, clampStrength } from "./generatorModel";
import type { LoraChoice } from "./types";

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

interface LoraPickerProps {
  selected: LoraChoice[];
  onChange: (loras: LoraChoice[]) => void;
  onInsertWord: (word: string) => void;
  /** Type of the chosen generator base model (SD1.5, SDXL, PonyXL…): results narrow to fitting LoRAs. */
  baseModelType?: string | null;
  disabled?: boolean;
}

/**
 * Search the catalog's LoRAs, pick up to 12, set each one's strength and use its trigger words.
 * Results fit the chosen base model unless "Show all LoRAs" is ticked.
 */
export function LoraPicker({ selected, onChange, onInsertWord, baseModelType, disabled }: LoraPickerProps) {
  const [search, setSearch] = useState("");
  const [showAll, setShowAll] = useState(false);
  const q = useDebounced(search.trim(), 250);
  const searchId = useId();
  const filters = baseModelFilters(baseModelType);
  const narrowed = filters !== null && !showAll;
  const baseModels = narrowed ? filters : null;
  const results = useQuery({
    queryKey: generatorKeys.loras(q, baseModels),
    queryFn: () => searchLoras(q, baseModels),
    staleTime: 30_000,
  });
  const candidates = (results.data ?? []).filter(
    (m) => !(m as { placeholder?: boolean }).placeholder && !selected.some((s) => s.modelId === m.id)
      // The API matches spellings exactly; this keeps odd ones (e.g. "Pony" tagged on an SD 1.5 LoRA) in check.
      && (!narrowed || isCompatible(m.baseModel, baseModelType)),
  );
  const full = selected.length >= MAX_LORAS;

  const update = (modelId: string, patch: Partial<LoraChoice>) =>
    onChange(selected.map((l) => (l.modelId === modelId ? { ...l, ...patch } : l)));

  return (
    <fieldset className="gen-loras" disabled={disabled}>
      <legend>LoRAs</legend>
      {selected.length > 0 && (
        <ul className="gen-loras__selected" aria-label="Selected LoRAs">
          {selected.map((lora) => (
            <li key={lora.modelId} className="gen-lora">
              <div className="gen-lora__head">
                <span className="gen-lora__name">{lora.name}</span>
                <button type="button" className="vs-button vs-button--small" aria-label={`Remove ${lora.name}`}
                        onClick={() => onChange(selected.filter((l) => l.modelId !== lora.modelId))}>Remove</button>
              </div>
              {lora.baseModel !== undefined && !isCompatible(lora.baseModel, baseModelType) && (
                <p className="gen-lora__mismatch">
                  {lora.baseModel ? `Made for ${lora.baseModel}` : "Base model unknown"}: may not suit {baseModelType}
                </p>
              )}
              <div className="gen-lora__strength">
                <label htmlFor={`${searchId}-${lora.modelId}`}>Strength {lora.name}</label>
                <input
                  id={`${searchId}-${lora.modelId}`}
                  type="range"
                  min={STRENGTH_MIN}
                  max={STRENGTH_MAX}
                  step={0.05}
                  value={lora.strength}
                  onChange={(e) => update(lora.modelId, { strength: clampStrength(Number(e.target.value)) })}
                />
                <output htmlFor={`${searchId}-${lora.modelId}`}>{lora.strength.toFixed(2)}</output>
              </div>
              {lora.triggerWords.length > 0 && (
                <ul className="gen-chips" aria-label={`Trigger words of ${lora.name}`}>
                  {lora.triggerWords.map((word) => (
                    <li key={word}>
                      <button type="button" className="gen-chip" aria-label={`Insert ${word}`}
                              onClick={() => onInsertWord(word)}>
                        + {word}
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="gen-field">
        <label htmlFor={searchId}>Search LoRAs</label>
        <input id={searchId} type="search" value={search} placeholder="Title, tag or trigger word"
               onChange={(e) => setSearch(e.target.value)} />
      </div>
      {filters !== null && (
        <div className="gen-loras__filter">
          <input id={`${searchId}-all`} type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} />
          <label htmlFor={`${searchId}-all`}>Show all LoRAs</label>
          {narrowed && <span className="gen-hint">Showing LoRAs for {baseModelType}</span>}
        </div>
      )}
      {full && <p className="gen-hint">At most {MAX_LORAS} LoRAs per request.</p>}
      {results.isError && <p className="gen-problem" role="alert">LoRAs could not be loaded.</p>}
      {results.isSuccess && candidates.length === 0 && (
        <p className="gen-hint">{q ? `No LoRA matches “${q}”${narrowed ? ` for ${baseModelType}` : ""}.`
            : narrowed ? `No more LoRAs for ${baseModelType}.` : "No more LoRAs available."}</p>
      )}
      {candidates.length > 0 && (
        <ul className="gen-loras__results" aria-label="LoRA search results">
          {candidates.map((m) => (
            <li key={m.id}>
              <button
                type="button"
                className="gen-lora-result"
                disabled={full}
                aria-label={`Add ${m.title}`}
                onClick={() => onChange([...selected, {
                  modelId: m.id, name: m.title, strength: 1, triggerWords: m.triggerWords ?? [], baseModel: m.baseModel ?? null,
                }])}
              >
                {m.previews?.grid && <img src={m.previews.grid} alt="" />}
                <span className="gen-lora-result__title">{m.title}</span>
                {m.baseModel && <span className="gen-lora-result__base">{m.baseModel}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
