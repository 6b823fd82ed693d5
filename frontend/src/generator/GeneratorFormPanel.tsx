import { useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LoraPicker } from "./LoraPicker";
import { submitRequest } from "./generatorApi";
import {
  CUSTOM_SIZE,
  buildGenerationBody,
  checkForm,
  initialForm,
  insertWord,
  newClientRequestId,
  sizeKey,
  type FormProblems,
  type GeneratorForm,
} from "./generatorModel";
import type { GenerationJob, GeneratorSettingsView } from "./types";

function Field({ label, problem, children, hint }: {
  label: string;
  problem?: string;
  hint?: string;
  children: (props: { id: string; "aria-invalid": boolean; "aria-describedby"?: string }) => ReactNode;
}) {
  const id = useId();
  const noteId = `${id}-note`;
  const note = problem ?? hint;
  return (
    <div className="gen-field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": Boolean(problem), "aria-describedby": note ? noteId : undefined })}
      {note && <p id={noteId} className={problem ? "gen-problem" : "gen-hint"}>{note}</p>}
    </div>
  );
}

interface Props {
  settings: GeneratorSettingsView;
  /** False when access, a block, the switch or the queue refuse new requests (the notice says why). */
  canSubmit: boolean;
  onSubmitted: (job: GenerationJob) => void;
}

export function GeneratorFormPanel({ settings, canSubmit, onSubmitted }: Props) {
  const [form, setForm] = useState<GeneratorForm>(() => initialForm(settings));
  const [showProblems, setShowProblems] = useState(false);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const promptRef = useRef<HTMLTextAreaElement>(null);
  // One id per draft: double clicks and retries of the same draft are the same request.
  const requestId = useRef<string>(newClientRequestId());
  // A second click lands before React re-renders the disabled button: refuse it here.
  const inFlight = useRef(false);
  const queryClient = useQueryClient();

  const change = (patch: Partial<GeneratorForm>) => {
    requestId.current = newClientRequestId();
    setForm((f) => ({ ...f, ...patch }));
  };

  const submit = useMutation({
    mutationFn: submitRequest,
    onSuccess: (job) => {
      requestId.current = newClientRequestId();
      setSubmitError(null);
      void queryClient.invalidateQueries({ queryKey: ["generator"] });
      onSubmitted(job);
    },
    onError: (e: Error) => setSubmitError(e.message),
    onSettled: () => { inFlight.current = false; },
  });

  const problems: FormProblems = showProblems ? checkForm(form, settings) : {};

  const onInsertWord = (word: string) => {
    const textarea = promptRef.current;
    // The caret position only means something if the prompt field was the last place typed in.
    const at = textarea && document.activeElement === textarea ? textarea.selectionStart : form.prompt.length;
    const { text, caret } = insertWord(form.prompt, word, at);
    change({ prompt: text });
    requestAnimationFrame(() => {
      textarea?.focus();
      textarea?.setSelectionRange(caret, caret);
    });
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (inFlight.current) return;
    const found = checkForm(form, settings);
    if (Object.keys(found).length) {
      setShowProblems(true);
      return;
    }
    setShowProblems(false);
    inFlight.current = true;
    submit.mutate(buildGenerationBody(form, requestId.current));
  };

  const presets = settings.sizes.presets;
  return (
    <form className="gen-form" aria-labelledby="gen-form-heading" onSubmit={onSubmit} noValidate>
      <h2 id="gen-form-heading">New render</h2>
      <Field label="Base model" problem={problems.baseModel}>
        {(p) => (
          <select {...p} value={form.baseModel} onChange={(e) => change({ baseModel: e.target.value })}>
            {settings.baseModels.length === 0 && <option value="">No base model is configured</option>}
            {settings.baseModels.map((m) => (
              <option key={m.id} value={m.id}>{m.label} ({m.type})</option>
            ))}
          </select>
        )}
      </Field>

      <LoraPicker selected={form.loras} onChange={(loras) => change({ loras })} onInsertWord={onInsertWord}
                  baseModelType={settings.baseModels.find((m) => m.id === form.baseModel)?.type} />

      <Field label="Prompt" problem={problems.prompt}>
        {(p) => (
          <textarea {...p} ref={promptRef} rows={4} maxLength={4000} value={form.prompt}
                    onChange={(e) => change({ prompt: e.target.value })} />
        )}
      </Field>
      <Field label="Negative prompt">
        {(p) => (
          <textarea {...p} rows={2} maxLength={4000} value={form.negativePrompt}
                    onChange={(e) => change({ negativePrompt: e.target.value })} />
        )}
      </Field>

      <div className="gen-grid">
        <Field label="Size" problem={problems.size}>
          {(p) => (
            <select {...p} value={form.size} onChange={(e) => {
              const value = e.target.value;
              if (value === CUSTOM_SIZE) change({ size: value });
              else {
                const [width, height] = value.split("x");
                change({ size: value, width, height });
              }
            }}>
              {presets.map((s) => <option key={sizeKey(s)} value={sizeKey(s)}>{s.width} × {s.height}</option>)}
              <option value={CUSTOM_SIZE}>Custom…</option>
            </select>
          )}
        </Field>
        {form.size === CUSTOM_SIZE && (
          <>
            <Field label="Width">
              {(p) => <input {...p} type="number" inputMode="numeric" min={settings.sizes.minSide}
                             max={settings.sizes.maxSide} step={8} value={form.width}
                             onChange={(e) => change({ width: e.target.value })} />}
            </Field>
            <Field label="Height">
              {(p) => <input {...p} type="number" inputMode="numeric" min={settings.sizes.minSide}
                             max={settings.sizes.maxSide} step={8} value={form.height}
                             onChange={(e) => change({ height: e.target.value })} />}
            </Field>
          </>
        )}
        <Field label="Sampler">
          {(p) => (
            <select {...p} value={form.sampler} onChange={(e) => change({ sampler: e.target.value })}>
              {settings.samplers.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          )}
        </Field>
        <Field label="Scheduler">
          {(p) => (
            <select {...p} value={form.scheduler} onChange={(e) => change({ scheduler: e.target.value })}>
              {settings.schedulers.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          )}
        </Field>
        <Field label="Steps" problem={problems.steps}>
          {(p) => <input {...p} type="number" inputMode="numeric" min={1} max={settings.steps.max} value={form.steps}
                         onChange={(e) => change({ steps: e.target.value })} />}
        </Field>
        <Field label="CFG scale" problem={problems.cfgScale}>
          {(p) => <input {...p} type="number" inputMode="decimal" min={settings.cfg.min} max={settings.cfg.max}
                         step={0.5} value={form.cfgScale} onChange={(e) => change({ cfgScale: e.target.value })} />}
        </Field>
        <Field label="Seed" problem={problems.seed} hint="Leave blank for a random seed">
          {(p) => <input {...p} inputMode="numeric" placeholder="Random" value={form.seed}
                         onChange={(e) => change({ seed: e.target.value })} />}
        </Field>
        {settings.maxBatch > 1 && (
          <Field label="Images">
            {(p) => (
              <select {...p} value={form.batchSize} onChange={(e) => change({ batchSize: Number(e.target.value) })}>
                {Array.from({ length: settings.maxBatch }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            )}
          </Field>
        )}
      </div>

      {submitError && <p className="gen-problem" role="alert">{submitError}</p>}
      <div className="gen-actions">
        <button type="submit" className="vs-button vs-button--primary" disabled={!canSubmit || submit.isPending}>
          Generate
        </button>
        {submit.isPending && <span className="gen-hint" role="status">Sending…</span>}
      </div>
    </form>
  );
}
