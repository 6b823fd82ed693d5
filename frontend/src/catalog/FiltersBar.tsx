import { useId, useState } from 'react';
import { Chip } from '../components/Chip';
import SearchBox from './SearchBox';
import type { ActiveFilter } from './filters';

export interface SelectFilter {
  /** URL parameter the select writes. */
  param: string;
  label: string;
  value: string;
  /** The first option ("Any …") clears the filter. */
  anyLabel: string;
  options: { value: string; label: string }[];
}

interface FiltersBarProps {
  searchLabel: string;
  searchText: string;
  onSearch: (text: string) => void;
  sortValue: string;
  sortOptions: { value: string; label: string }[];
  selects: SelectFilter[];
  /** Popular tags offered as one-click filters. */
  suggestedTags: string[];
  activeFilters: ActiveFilter[];
  onSet: (param: string, value: string) => void;
  onAddTag: (tag: string) => void;
  onRemove: (filter: ActiveFilter) => void;
  onClear: () => void;
}

/** Search, filter selects, a tag field, the sort and the removable chips of the active filters. */
export default function FiltersBar(props: FiltersBarProps) {
  const sortId = useId();
  const tagId = useId();
  const tagListId = useId();
  const [tagText, setTagText] = useState('');
  const activeTags = new Set(props.activeFilters.filter((f) => f.key === 'tags').map((f) => f.value));
  const popular = props.suggestedTags.filter((t) => !activeTags.has(t)).slice(0, 18);

  function addTag() {
    const tag = tagText.trim();
    if (!tag) return;
    props.onAddTag(tag);
    setTagText('');
  }

  return (
    <div className="catalog-filters">
      <div className="catalog-filters__row">
        <SearchBox label={props.searchLabel} value={props.searchText} onSearch={props.onSearch} />
        {props.selects.map((select) => (
          <FilterSelect key={select.param} filter={select} onSet={props.onSet} />
        ))}
        <div className="catalog-field-inline">
          <label htmlFor={tagId}>Tag</label>
          <input
            id={tagId}
            list={tagListId}
            value={tagText}
            placeholder="Add a tag"
            onChange={(e) => setTagText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                addTag();
              }
            }}
          />
          <datalist id={tagListId}>
            {props.suggestedTags.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
          <button className="vs-button" type="button" onClick={addTag} disabled={!tagText.trim()}>
            Add tag
          </button>
        </div>
        <div className="catalog-field-inline">
          <label htmlFor={sortId}>Sort by</label>
          <select id={sortId} value={props.sortValue} onChange={(e) => props.onSet('sort', e.target.value)}>
            {props.sortOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      </div>

      {popular.length > 0 && (
        <div className="catalog-filters__popular">
          <span className="catalog-muted" id={`${tagListId}-popular`}>
            Popular tags
          </span>
          <ul className="catalog-chip-list" aria-labelledby={`${tagListId}-popular`}>
            {popular.map((tag) => (
              <li key={tag}>
                <button type="button" className="catalog-tag" onClick={() => props.onAddTag(tag)}>
                  {tag}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}

      {props.activeFilters.length > 0 && (
        <div className="catalog-filters__active">
          <ul className="catalog-chip-list" aria-label="Active filters">
            {props.activeFilters.map((filter) => (
              <li key={`${filter.key}=${filter.value}`}>
                <Chip label={filter.label} onRemove={() => props.onRemove(filter)} />
              </li>
            ))}
          </ul>
          <button type="button" className="catalog-link-button" onClick={props.onClear}>
            Clear filters
          </button>
        </div>
      )}
    </div>
  );
}

function FilterSelect({ filter, onSet }: { filter: SelectFilter; onSet: (param: string, value: string) => void }) {
  const id = useId();
  const known = filter.options.some((o) => o.value === filter.value);
  return (
    <div className="catalog-field-inline">
      <label htmlFor={id}>{filter.label}</label>
      <select id={id} value={filter.value} onChange={(e) => onSet(filter.param, e.target.value)}>
        <option value="">{filter.anyLabel}</option>
        {/* A value from the URL that the loaded items do not show still has to be selectable. */}
        {!known && filter.value ? <option value={filter.value}>{filter.value}</option> : null}
        {filter.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
