"""ComfyUI API-format workflows: load and verify, bind parameters, chain LoRAs, check against /object_info.

An API graph is ``{node_id: {"class_type": str, "inputs": {name: literal | [source_id, slot]}}}``.
"""
from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gpu_agent.errors import validation_error

Graph = dict[str, dict[str, Any]]
LORA_CLASS = "LoraLoader"
MAX_LORA_STRENGTH = 2.0
MODEL_SLOT, CLIP_SLOT = 0, 1


@dataclass(frozen=True)
class LoraUse:
    name: str  # as ComfyUI lists it under models/loras
    strength: float


def load_workflow(raw: bytes, expected_sha256: str | None) -> Graph:
    """Parse a workflow file, refusing a tampered or corrupted download and the editor (UI) format."""
    if expected_sha256 is not None and hashlib.sha256(raw).hexdigest() != expected_sha256.lower():
        raise validation_error("workflow file does not match its SHA-256")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise validation_error(f"workflow is not JSON: {error}") from None
    if isinstance(document, dict) and isinstance(document.get("nodes"), list):
        raise validation_error("workflow is in ComfyUI's editor (UI) format; export it with 'Export (API)'")
    if not isinstance(document, dict) or not document:
        raise validation_error("workflow must be a non-empty JSON object of nodes")
    for node_id, node in document.items():
        if not (isinstance(node, dict) and isinstance(node.get("class_type"), str)
                and isinstance(node.get("inputs"), dict)):
            raise validation_error(f"workflow node {node_id!r} needs a class_type and an inputs object")
    return document


def hydrate(template: Graph, bindings: Mapping[str, Sequence[str]], values: Mapping[str, Any],
            loras: Sequence[LoraUse]) -> Graph:
    """A copy of ``template`` with every bound parameter set and one LoraLoader per LoRA."""
    graph = copy.deepcopy(template)
    apply_bindings(graph, bindings, values)
    chain_loras(graph, loras)
    return graph


def apply_bindings(graph: Graph, bindings: Mapping[str, Sequence[str]], values: Mapping[str, Any]) -> None:
    for parameter, paths in bindings.items():
        if parameter not in values:
            continue
        for path in paths:
            node_id, *keys = path.split(".")
            if node_id not in graph:
                raise validation_error(f"binding {parameter} -> {path}: the workflow has no node {node_id}")
            holder = graph[node_id]
            for key in keys[:-1]:
                holder = holder.get(key)
                if not isinstance(holder, dict):
                    raise validation_error(f"binding {parameter} -> {path}: {key} is not an object")
            holder[keys[-1]] = values[parameter]


def chain_loras(graph: Graph, loras: Sequence[LoraUse]) -> None:
    """The first LoraLoader is the template: dropped for no LoRA, cloned into a chain for several."""
    loaders = sorted((node_id for node_id, node in graph.items() if node["class_type"] == LORA_CLASS), key=_node_order)
    if not loaders:
        if loras:
            raise validation_error(f"workflow has no {LORA_CLASS} node to apply {len(loras)} LoRA(s) with")
        return
    template, extras = loaders[0], loaders[1:]
    for node_id in extras:
        _bypass(graph, node_id)
    if not loras:
        _bypass(graph, template)
        return
    consumers = _consumers(graph, template)
    _set_lora(graph[template], loras[0])
    previous = template
    for index, lora in enumerate(loras[1:], start=2):
        node_id = _fresh_id(graph)
        graph[node_id] = {"class_type": LORA_CLASS,
                          "inputs": {"model": [previous, MODEL_SLOT], "clip": [previous, CLIP_SLOT]},
                          "_meta": {"title": f"LoRA {index}"}}
        _set_lora(graph[node_id], lora)
        previous = node_id
    for node_id, input_name, slot in consumers:
        graph[node_id]["inputs"][input_name] = [previous, slot]


def clamp_strength(strength: float) -> float:
    return max(-MAX_LORA_STRENGTH, min(MAX_LORA_STRENGTH, float(strength)))


def _set_lora(node: dict[str, Any], lora: LoraUse) -> None:
    strength = clamp_strength(lora.strength)
    node["inputs"].update({"lora_name": lora.name, "strength_model": strength, "strength_clip": strength})


def _bypass(graph: Graph, node_id: str) -> None:
    """Remove a LoraLoader, feeding its consumers from what fed it."""
    inputs = graph[node_id]["inputs"]
    upstream = {MODEL_SLOT: inputs.get("model"), CLIP_SLOT: inputs.get("clip")}
    if not all(is_link(link) for link in upstream.values()):
        raise validation_error(f"{LORA_CLASS} node {node_id} must take model and clip from other nodes")
    for consumer, input_name, slot in _consumers(graph, node_id):
        if slot not in upstream:
            raise validation_error(f"node {consumer} uses output {slot} of {LORA_CLASS} {node_id}, which has two")
        graph[consumer]["inputs"][input_name] = list(upstream[slot])
    del graph[node_id]


def _consumers(graph: Graph, source: str) -> list[tuple[str, str, int]]:
    return [(node_id, name, value[1]) for node_id, node in graph.items() if node_id != source
            for name, value in node["inputs"].items() if is_link(value) and str(value[0]) == source]


def is_link(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str | int)
            and isinstance(value[1], int) and not isinstance(value[1], bool))


def _node_order(node_id: str) -> tuple[int, int, str]:
    return (0, int(node_id), "") if node_id.isdigit() else (1, 0, node_id)


def _fresh_id(graph: Graph) -> str:
    numeric = [int(node_id) for node_id in graph if node_id.isdigit()]
    candidate = max(numeric, default=0) + 1
    while str(candidate) in graph:
        candidate += 1
    return str(candidate)


# --- checking against what ComfyUI offers ---------------------------------------------------------

def combo_options(spec: Any) -> list | None:
    """Choices of a combo input spec: ``[[...], {...}]`` (classic) or ``["COMBO", {"options": [...]}]``."""
    if not isinstance(spec, list | tuple) or not spec:
        return None
    if isinstance(spec[0], list):
        return spec[0]
    if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict) and isinstance(spec[1].get("options"), list):
        return spec[1]["options"]
    return None


def check_against_object_info(graph: Graph, object_info: Mapping[str, Any]) -> dict[str, Any]:
    """Node errors, shaped like ComfyUI's own, for unknown node classes and values not in a combo list."""
    node_errors: dict[str, Any] = {}
    for node_id, node in graph.items():
        class_type = node["class_type"]
        info = object_info.get(class_type)
        if not isinstance(info, dict):
            errors = [_node_error("missing_node_type", f"Node '{class_type}' not found", class_type, {})]
        else:
            specs = {**info.get("input", {}).get("required", {}), **info.get("input", {}).get("optional", {})}
            errors = []
            for name, value in node["inputs"].items():
                options = combo_options(specs.get(name))
                if options is not None and not is_link(value) and value not in options:
                    errors.append(_node_error("value_not_in_list", "Value not in list",
                                              f"{name}: '{value}' not in {_preview(options)}",
                                              {"input_name": name, "received_value": value}))
        if errors:
            node_errors[node_id] = {"errors": errors, "dependent_outputs": [], "class_type": class_type}
    return node_errors


def _node_error(kind: str, message: str, details: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


def _preview(options: list, limit: int = 20) -> str:
    shown = ", ".join(repr(option) for option in options[:limit])
    return f"[{shown}{', …' if len(options) > limit else ''}]"
