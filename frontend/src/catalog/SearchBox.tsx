import { useEffect, useId, useRef, useState } from 'react';

interface SearchBoxProps {
  label: string;
  value: string;
  /** Called after typing pauses (and at once on Enter), so each keystroke does not hit the API. */
  onSearch: (text: string) => void;
  placeholder?: string;
  delayMs?: number;
}

/** A labelled search field whose text is committed to the URL query after a short pause. */
export default function SearchBox({ label, value, onSearch, placeholder, delayMs = 300 }: SearchBoxProps) {
  const id = useId();
  const [text, setText] = useState(value);
  const committed = useRef(value);
  const onSearchRef = useRef(onSearch);
  onSearchRef.current = onSearch;

  // Back/forward navigation or a chip link changes the URL: show its text.
  useEffect(() => {
    if (value !== committed.current) {
      committed.current = value;
      setText(value);
    }
  }, [value]);

  useEffect(() => {
    if (text === committed.current) return undefined;
    const timer = window.setTimeout(() => {
      committed.current = text;
      onSearchRef.current(text);
    }, delayMs);
    return () => window.clearTimeout(timer);
  }, [text, delayMs]);

  return (
    <form
      role="search"
      className="catalog-search"
      onSubmit={(e) => {
        e.preventDefault();
        committed.current = text;
        onSearchRef.current(text);
      }}
    >
      <label htmlFor={id} className="vs-visually-hidden">
        {label}
      </label>
      <input
        id={id}
        type="search"
        value={text}
        placeholder={placeholder ?? label}
        autoComplete="off"
        onChange={(e) => setText(e.target.value)}
      />
    </form>
  );
}
