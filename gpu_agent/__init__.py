"""The VisionSuit GPU agent: takes generation jobs from the platform and renders them with ComfyUI.

Deployed alone on a GPU machine; it depends on requests and Pillow only and never on the
platform's code. It holds no cloud credentials: only its agent key and, per job, the signed
callback URLs and presigned storage URLs the platform hands it. See README.md in this folder.
"""

__version__ = "1.0.0"
