from pathlib import Path

import pytest

from gpu_agent.config import DEFAULT_BINDINGS, ConfigError, load_config
from tests.unit.gpu_agent.platform_stub import AGENT_KEY

EXAMPLE = Path(__file__).resolve().parents[3] / "gpu_agent" / "agent.example.toml"


def test_the_shipped_example_loads_and_matches_the_defaults():
    config = load_config(EXAMPLE, env={"VS_AGENT_KEY": AGENT_KEY})
    assert config.mode == "pull" and config.backend == "comfyui"
    assert config.platform_url == "https://visionsuit.example" and config.agent_key == AGENT_KEY
    assert config.comfyui_models_dir == Path("/opt/ComfyUI/models")
    assert dict(config.bindings) == dict(DEFAULT_BINDINGS)
    assert config.bindings_for("anything") == config.bindings
    assert AGENT_KEY not in repr(config), "the key stays out of logs"


def test_environment_then_command_line_override_the_file(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_text('[agent]\nbackend = "comfyui"\n[platform]\nurl = "http://file"\n'
                    '[workflow_bindings.portrait]\nseed = "7.inputs.noise_seed"\n')
    config = load_config(path, env={"VS_AGENT_KEY": AGENT_KEY, "VS_AGENT_API": "http://env", "VS_AGENT_BACKEND": "preview"},
                         overrides={"platform_url": "http://cli", "mode": None})
    assert config.platform_url == "http://cli" and config.backend == "preview" and config.mode == "pull"
    assert config.bindings_for("portrait") == {"seed": ("7.inputs.noise_seed",)}
    assert config.bindings_for("sdxl-lora") == DEFAULT_BINDINGS


@pytest.mark.parametrize("text, env, message", [
    ('[agent]\nmode = "pull"\n', {"VS_AGENT_KEY": AGENT_KEY}, "platform.url"),
    ('[platform]\nurl = "http://x"\n', {}, "vsa_"),
    ('[platform]\nurl = "http://x"\n', {"VS_AGENT_KEY": "vsa_nodot"}, "vsa_"),
    ('[platform]\nurl = "http://x"\ntypo = 1\n', {"VS_AGENT_KEY": AGENT_KEY}, "typo"),
    ('[nonsense]\na = 1\n', {"VS_AGENT_KEY": AGENT_KEY}, "nonsense"),
    ('[agent]\nmode = "sideways"\n', {"VS_AGENT_KEY": AGENT_KEY}, "mode"),
    ('[platform]\nurl = "http://x"\n[bindings]\nmood = ["6.inputs.x"]\n', {"VS_AGENT_KEY": AGENT_KEY}, "mood"),
    ('[platform]\nurl = "http://x"\n[bindings]\nseed = ["../../6"]\n', {"VS_AGENT_KEY": AGENT_KEY}, "inputs"),
    ('[platform]\nurl = "http://x"\n[server]\nenabled = "maybe"\n', {"VS_AGENT_KEY": AGENT_KEY}, "enabled"),
])
def test_mistakes_are_reported(tmp_path, text, env, message):
    path = tmp_path / "agent.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path, env=env)


def test_push_signing_key_is_the_digest_of_the_secret():
    import hashlib

    config = load_config(None, env={"VS_AGENT_KEY": AGENT_KEY}, overrides={"mode": "push"})
    assert config.push_signing_key == hashlib.sha256(b"s3cr3t-part-of-the-key").hexdigest().encode()
