"""Adult keyword list (admin-configured) and word-boundary matching."""
from __future__ import annotations

import re
from functools import lru_cache

SAFETY_KEY = "safety"
DEFAULT_ADULT_KEYWORDS = ["nsfw", "nude", "nudity", "naked", "explicit", "porn", "sex", "hentai", "topless"]


@lru_cache(maxsize=32)
def _pattern(keywords: tuple[str, ...]) -> re.Pattern | None:
    words = [re.escape(k) for k in keywords if k]
    if not words:
        return None
    # Word boundaries: "sex" matches "sex, 1girl" but not "sussex"; "_" and "-" separate words too.
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(words) + r")(?![A-Za-z0-9])", re.IGNORECASE)


def matches(keywords: list[str], texts: list[str]) -> list[str]:
    pattern = _pattern(tuple(sorted({k.strip().lower() for k in keywords})))
    if pattern is None:
        return []
    found = set()
    for text in texts:
        found.update(m.group(0).lower() for m in pattern.finditer(text or ""))
    return sorted(found)


def image_is_adult(keywords: list[str], meta: dict, tags: list[str]) -> bool:
    """Positive prompt and tags only: a negative prompt that says "nsfw" makes nothing adult."""
    return bool(matches(keywords, [meta.get("prompt") or "", *tags]))


def model_is_adult(keywords: list[str], model, versions: list, cover) -> bool:
    texts = [model.title, model.description, *model.trigger_words, *model.tags]
    for version in versions:
        texts += list((version.metadata or {}).get("tagFrequency", {}).keys())
    return bool(matches(keywords, texts)) or bool(cover and cover.is_adult)



class SafetyService:
    def __init__(self, settings_repo, recompute_queue) -> None:
        self._repo = settings_repo
        self._recompute = recompute_queue  # callable: schedules the asynchronous re-evaluation

    def adult_keywords(self) -> list[str]:
        stored = self._repo.get(SAFETY_KEY) or {}
        return list(stored.get("adultKeywords", DEFAULT_ADULT_KEYWORDS))

    def set_adult_keywords(self, keywords: list[str]) -> list[str]:
        cleaned = sorted({k.strip().lower() for k in keywords if k.strip()})
        self._repo.put(SAFETY_KEY, {"adultKeywords": cleaned})
        self._recompute()
        return cleaned
