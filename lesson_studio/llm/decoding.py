"""Decoding on one loaded llama.cpp model, shaped for short JSON sections on two CPU cores.

What it does that llama-cpp-python's create_chat_completion does not (bench/speed_profile.py
measures each; writing went from 13–15 to 19–21 tokens/s on the same 2 cores):

- Grammar checked after sampling. create_chat_completion applies the JSON-schema grammar to all
  151,665 candidate tokens at every step (9.8 ms a step, against 0.3 ms for the rest of sampling
  and ~46 ms for the model). Here the token is sampled without the grammar and only that token is
  checked; the whole vocabulary goes through the grammar only when it is refused (2–9 steps of a
  section's 70–270). llama.cpp's own common_sampler does the same.
- The KV cache is known and kept. What the context holds is tracked token by token, so a call
  reads only the part of its prompt not already evaluated; `prefill` evaluates a prefix ahead of
  time (the shared system prompt at start-up), and `Snapshots` keep the evaluated prefix that
  calls share (a plan's system prompt and context) in RAM, so a later call on that plan (a
  section regeneration) need not read it again after another prompt used the context.
- Prompt-lookup drafts (`DraftSettings`), off by default: a draft token is kept only if the
  sampler picks it itself, so the text is unchanged, but on 2 AVX2 cores a batch of k tokens costs
  ~0.6k single steps, and the measured gain was within the noise (local.DRAFTS).
"""

from __future__ import annotations

import codecs
import ctypes
import json
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

REPEAT_LAST_N = 64  # llama-cpp-python's default window for the repeat penalty
SNAPSHOT_MIN_TOKENS = 128  # a shared prefix shorter than this is cheaper to read again than to keep
TOP_K, TOP_P, MIN_P = 40, 0.95, 0.05  # create_chat_completion's defaults, kept for the same output


@dataclass
class CallStats:
    """Where one call's seconds went (bench/speed_profile.py prints these)."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # already in the KV cache (or restored from a snapshot) when the call began
    restored_tokens: int = 0  # of those, restored from a snapshot
    prompt_s: float = 0.0  # reading the rest of the prompt, up to the first sampled token
    completion_tokens: int = 0
    completion_s: float = 0.0
    drafted: int = 0  # prompt-lookup tokens proposed
    accepted: int = 0  # of those, kept because the sampler chose them
    grammar_fallbacks: int = 0  # steps where the sampled token broke the grammar
    finish: str = ""

    @property
    def read_tokens(self) -> int:
        return self.prompt_tokens - self.reused_tokens


@dataclass
class DraftSettings:
    """Prompt-lookup drafting: match the last `max_ngram`..`min_ngram` tokens, propose up to `tokens`."""

    tokens: int = 6
    max_ngram: int = 4
    min_ngram: int = 2


class _Candidates:
    """A reusable llama_token_data_array over the whole vocabulary (allocating one per step costs ms)."""

    def __init__(self, n_vocab: int):
        dtype = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)
        self.n_vocab = n_vocab
        self.data = np.zeros(n_vocab, dtype=dtype)
        self.ids = np.arange(n_vocab, dtype=np.intc)
        self.array = _token_array(self.data)
        self.one = np.zeros(1, dtype=dtype)
        self.one_array = _token_array(self.one)

    def fill(self, logits: Any) -> Any:
        self.data["id"] = self.ids
        self.data["logit"] = np.ctypeslib.as_array(logits, shape=(self.n_vocab,))
        self.data["p"] = 0.0
        self.array.size, self.array.selected, self.array.sorted = self.n_vocab, -1, False
        return ctypes.byref(self.array)

    def single(self, token: int) -> Any:
        self.one["id"], self.one["logit"], self.one["p"] = token, 0.0, 0.0
        self.one_array.size, self.one_array.selected, self.one_array.sorted = 1, -1, False
        return ctypes.byref(self.one_array)

    def selected(self) -> int:
        return int(self.data["id"][self.array.selected])


def _token_array(data: np.ndarray) -> Any:
    import llama_cpp

    return llama_cpp.llama_token_data_array(
        data=data.ctypes.data_as(llama_cpp.llama_token_data_p), size=len(data), selected=-1, sorted=False
    )


class _Sampler:
    """penalties -> top-k -> top-p -> min-p -> temperature -> draw, with the grammar checked after."""

    def __init__(self, decoder: Decoder, *, temperature: float, repeat_penalty: float, grammar: Any, seed: int):
        import llama_cpp
        from llama_cpp._internals import LlamaSampler

        self._llama_cpp = llama_cpp
        self.chain = LlamaSampler()
        self.chain.add_penalties(
            n_vocab=decoder.n_vocab,
            penalty_last_n=REPEAT_LAST_N,
            penalty_repeat=repeat_penalty,
            penalty_freq=0.0,
            penalty_present=0.0,
        )
        if temperature <= 0:
            self.chain.add_greedy()
        else:
            self.chain.add_top_k(TOP_K)
            self.chain.add_top_p(TOP_P, 1)
            self.chain.add_min_p(MIN_P, 1)
            self.chain.add_temp(temperature)
            self.chain.add_dist(seed)
        self.grammar: Any = None
        if grammar is not None:
            self.grammar = LlamaSampler()
            self.grammar.add_grammar(decoder.llama._model, grammar)
        self.candidates = decoder.candidates
        self.ctx = decoder.llama._ctx.ctx
        self.fallbacks = 0

    def sample(self, index: int) -> int:
        """Sample from the logits of batch position `index` and accept the token."""
        lc = self._llama_cpp
        logits = lc.llama_get_logits_ith(self.ctx, index)
        lc.llama_sampler_apply(self.chain.sampler, self.candidates.fill(logits))
        token = self.candidates.selected()
        if self.grammar is not None:
            one = self.candidates.single(token)
            lc.llama_sampler_apply(self.grammar.sampler, one)
            if not np.isfinite(self.candidates.one["logit"][0]):
                # Refused: constrain the whole vocabulary, then sample again from what is allowed.
                self.fallbacks += 1
                array = self.candidates.fill(logits)
                lc.llama_sampler_apply(self.grammar.sampler, array)
                lc.llama_sampler_apply(self.chain.sampler, array)
                token = self.candidates.selected()
            lc.llama_sampler_accept(self.grammar.sampler, token)
        lc.llama_sampler_accept(self.chain.sampler, token)
        return token

    def close(self) -> None:
        self.chain.close()
        if self.grammar is not None:
            self.grammar.close()


class _Lookup:
    """Prompt lookup: the most recent earlier occurrence of the last n tokens, and what followed it."""

    def __init__(self, settings: DraftSettings):
        self.settings = settings
        self.tokens: list[int] = []
        self.last_at: list[dict[tuple[int, ...], int]] = [{} for _ in range(settings.max_ngram + 1)]

    def extend(self, tokens: list[int]) -> None:
        for token in tokens:
            self.tokens.append(token)
            end = len(self.tokens)
            for n in range(self.settings.min_ngram, self.settings.max_ngram + 1):
                if end > n:  # index the n-gram that ends one before the newest token
                    self.last_at[n][tuple(self.tokens[end - 1 - n : end - 1])] = end - 1

    def draft(self) -> list[int]:
        end = len(self.tokens)
        for n in range(self.settings.max_ngram, self.settings.min_ngram - 1, -1):
            if end < n:
                continue
            start = self.last_at[n].get(tuple(self.tokens[end - n :]))
            if start is not None:
                return self.tokens[start : start + self.settings.tokens]
        return []


@dataclass
class _Snapshot:
    tokens: list[int]
    data: Any  # ctypes buffer: the sequence's KV cells


class Snapshots:
    """The evaluated prefix of recent prompts, copied out of the KV cache into RAM.

    Qwen2.5-1.5B's KV cache takes 28 KiB per token: a 1,200-token plan context is ~34 MB and is
    copied back in milliseconds, while reading it again costs ~18 s on 2 cores.
    """

    def __init__(self, limit: int = 4):
        self.limit = limit
        self.items: OrderedDict[tuple[int, ...], _Snapshot] = OrderedDict()

    def best(self, tokens: list[int], limit: int) -> tuple[int, _Snapshot | None]:
        """The snapshot sharing the longest prefix with `tokens` (at most `limit` of them)."""
        best, found = 0, None
        for snapshot in self.items.values():
            n = min(_common_prefix(snapshot.tokens, tokens), limit)
            if n > best:
                best, found = n, snapshot
        return best, found

    def covers(self, tokens: list[int]) -> bool:
        return any(len(key) >= len(tokens) and list(key[: len(tokens)]) == tokens for key in self.items)


class Decoder:
    """Owns the generation on one Llama: what its KV cache holds, sampling, drafts, statistics.

    Not thread-safe: the caller serialises calls (local.py's generation lock).
    """

    def __init__(self, llama: Any, *, draft: DraftSettings | None = None, snapshots: int = 4):
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.llama = llama
        self.n_vocab = llama.n_vocab()
        self.n_ctx = llama.n_ctx()
        self.draft_settings = draft
        self.candidates = _Candidates(self.n_vocab)
        self.snapshots = Snapshots(limit=snapshots)
        self._grammars: dict[str, Any] = {}
        self._vocab = llama._model.vocab
        template = llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError("the model file has no chat template")
        eos, bos = llama.token_eos(), llama.token_bos()
        self._format = Jinja2ChatFormatter(
            template=template,
            eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )
        self.last: CallStats | None = None
        self._previous: list[int] = []
        self._pieces: dict[int, bytes] = {}

    # --- prompt -------------------------------------------------------------------------------

    def tokens_for(self, messages: list[dict[str, str]]) -> list[int]:
        """The chat template applied and tokenised exactly as create_chat_completion does."""
        result = self._format(messages=messages)
        return self.llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def prefix_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        """The tokens every prompt that starts with `messages` shares (the template's own framing of
        the next turn excluded): two different next user turns are formatted and compared."""
        first = self.tokens_for([*messages, {"role": "user", "content": "甲"}])
        second = self.tokens_for([*messages, {"role": "user", "content": "乙"}])
        return first[: _common_prefix(first, second)]

    def grammar(self, schema: dict[str, Any]) -> Any:
        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, ensure_ascii=False, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        return self._grammars[key]

    def _piece(self, token: int) -> bytes:
        """The token's bytes (part of a UTF-8 character, for some Chinese tokens)."""
        piece = self._pieces.get(token)
        if piece is None:
            import llama_cpp

            buffer = ctypes.create_string_buffer(256)
            n = llama_cpp.llama_token_to_piece(self._vocab, token, buffer, 256, 0, False)
            piece = self._pieces[token] = buffer.raw[: max(n, 0)]
        return piece

    # --- the KV cache -------------------------------------------------------------------------

    @property
    def cached(self) -> list[int]:
        return self.llama._input_ids.tolist()

    def _truncate(self, keep: int) -> None:
        self.llama._ctx.kv_cache_seq_rm(-1, keep, -1)
        self.llama.n_tokens = keep

    def _decode(self, tokens: list[int], *, all_logits: bool = False) -> None:
        """Evaluate tokens after what the cache holds; logits for the last one (or for all)."""
        llama = self.llama
        for start in range(0, len(tokens), llama.n_batch):
            batch = tokens[start : start + llama.n_batch]
            n_past = llama.n_tokens
            llama._batch.set_batch(batch=batch, n_past=n_past, logits_all=all_logits)
            llama._ctx.decode(llama._batch)
            llama.input_ids[n_past : n_past + len(batch)] = batch
            llama.n_tokens = n_past + len(batch)

    def _reuse(self, tokens: list[int]) -> tuple[int, int]:
        """Keep the longest usable prefix of `tokens` in the cache, restoring a snapshot when one
        holds more; returns (tokens reused, of which restored). The last prompt token is always
        evaluated again: its logits are needed to sample."""
        limit = len(tokens) - 1
        kept = min(_common_prefix(self.cached, tokens), limit)
        restored, snapshot = self.snapshots.best(tokens, limit)
        if snapshot is not None and restored > kept and self._restore(snapshot):
            self._truncate(restored)
            return restored, restored
        self._truncate(kept)
        return kept, 0

    def _restore(self, snapshot: _Snapshot) -> bool:
        import llama_cpp

        self.llama._ctx.kv_cache_clear()
        size = len(snapshot.data)
        if llama_cpp.llama_state_seq_set_data(self.llama._ctx.ctx, snapshot.data, size, 0) != size:
            self._truncate(0)
            return False
        count = len(snapshot.tokens)
        self.llama.input_ids[:count] = snapshot.tokens
        self.llama.n_tokens = count
        self.snapshots.items.move_to_end(tuple(snapshot.tokens))
        return True

    def remember(self) -> None:
        """Snapshot what the cache holds now (a prefix worth keeping: a system prompt, a plan's context)."""
        import llama_cpp

        tokens = self.cached
        if self.snapshots.limit <= 0 or not tokens or self.snapshots.covers(tokens):
            return
        for shorter in [key for key in self.snapshots.items if list(key) == tokens[: len(key)]]:
            del self.snapshots.items[shorter]  # the longer prefix serves every prompt the shorter one did
        ctx = self.llama._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        if llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0) != size:
            return
        self.snapshots.items[tuple(tokens)] = _Snapshot(tokens=tokens, data=buffer)
        while len(self.snapshots.items) > self.snapshots.limit:
            self.snapshots.items.popitem(last=False)

    def prefill(self, tokens: list[int]) -> int:
        """Evaluate `tokens` into the cache ahead of a call that starts with them; returns how many
        were read (0 when already there)."""
        kept = min(_common_prefix(self.cached, tokens), len(tokens))
        self._truncate(kept)
        self._decode(tokens[kept:])
        self.remember()
        return len(tokens) - kept

    # --- generation ---------------------------------------------------------------------------

    def generate(
        self,
        messages: list[dict[str, str]],
        *,
        json_schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
        repeat_penalty: float,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text as it is decoded; `self.last` holds the call's statistics."""
        started = time.perf_counter()
        prompt = self.tokens_for(messages)
        if len(prompt) >= self.n_ctx:  # the same words as llama-cpp-python, which local.py translates
            raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of {self.n_ctx}")
        max_tokens = min(max_tokens, self.n_ctx - len(prompt))
        stats = self.last = CallStats(prompt_tokens=len(prompt))
        stats.reused_tokens, stats.restored_tokens = self._reuse(prompt)
        sampler = _Sampler(
            self,
            temperature=temperature,
            repeat_penalty=repeat_penalty,
            grammar=self.grammar(json_schema) if json_schema else None,
            # A fresh draw per call, as create_chat_completion did: a repair attempt or a retry of the
            # same prompt must not repeat the same unusable answer (measured: a fixed seed did, twice).
            seed=_random_seed() if seed is None else seed,
        )
        lookup = _Lookup(self.draft_settings) if self.draft_settings and self.draft_settings.tokens else None
        if lookup is not None:
            lookup.extend(prompt)
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        piece_of = self._piece
        try:
            # A prefix this prompt shares with the previous one is a context several calls read
            # (a plan's system prompt and passages): keep a copy before reading the rest.
            shared = min(_common_prefix(self._previous, prompt), len(prompt) - 1)
            self._previous = prompt
            if shared >= SNAPSHOT_MIN_TOKENS and not self.snapshots.covers(prompt[:shared]):
                self._decode(prompt[self.llama.n_tokens : shared])
                self.remember()
            self._decode(prompt[self.llama.n_tokens :])
            token = sampler.sample(-1)
            stats.prompt_s = time.perf_counter() - started
            while True:
                # `token` is sampled (and accepted by the sampler) but not yet in the KV cache.
                if _is_end(self._vocab, token):
                    stats.finish = "stop"
                    break
                stats.completion_tokens += 1
                if piece := text.decode(piece_of(token)):
                    yield piece
                if stats.completion_tokens >= max_tokens:
                    stats.finish = "length"
                    break
                draft: list[int] = []
                if lookup is not None:
                    lookup.extend([token])
                    room = min(max_tokens - stats.completion_tokens - 1, self.n_ctx - self.llama.n_tokens - 2)
                    draft = lookup.draft()[: max(0, room)]
                stats.drafted += len(draft)
                n_past = self.llama.n_tokens
                self._decode([token, *draft], all_logits=bool(draft))
                accepted = 0
                # Batch position i's logits give the token after batch[i]; a draft token stays only
                # if the sampler picks it itself, so the text is what plain decoding would sample.
                for index in range(len(draft) + 1):
                    token = sampler.sample(index if draft else -1)
                    if index == len(draft) or token != draft[index]:
                        break  # a new token, not in the cache: the loop's top handles it
                    accepted += 1
                    if _is_end(self._vocab, token):
                        stats.finish = "stop"
                        break
                    stats.completion_tokens += 1
                    if piece := text.decode(piece_of(token)):
                        yield piece
                    lookup.extend([token])  # type: ignore[union-attr]
                    if stats.completion_tokens >= max_tokens:
                        stats.finish = "length"
                        break
                stats.accepted += accepted
                if accepted < len(draft):
                    self._truncate(n_past + 1 + accepted)
                if stats.finish:
                    break
            if tail := text.decode(b"", final=True):
                yield tail
        finally:
            stats.grammar_fallbacks = sampler.fallbacks
            sampler.close()
            stats.completion_s = time.perf_counter() - started - stats.prompt_s


def _random_seed() -> int:
    import llama_cpp

    return llama_cpp.LLAMA_DEFAULT_SEED  # llama.cpp draws a random seed for this value


def _is_end(vocab: Any, token: int) -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_vocab_is_eog(vocab, token))


def _common_prefix(a: list[int] | tuple[int, ...], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
