#!/usr/bin/python3
"""The PyTorch side of issue #16's decoder benchmarks: the models of DecoderWorkload.cs built with Hugging Face
transformers (GPT2LMHeadModel, LlamaForCausalLM; eager attention) and peft, random weights, float32, 2 threads.

usage (see docs/benchmarks.md, "Decoders vs PyTorch (issue #16)"):
  step     gpt2|llama full|lora [--warmup 2] [--steps 5]
  generate gpt2|llama [--batch 1] [--prompt 32] [--new 64] [--cache true|false] [--runs 3]
Prints ONE JSON line. Needs transformers 4.40.2 + peft 0.11.1 importable (PYTHONPATH=/tmp/hfenv/site, see
shared/bench/hf-trainer/SETUP.md) and OpenBLAS-OpenMP:
  OPENBLAS_CORETYPE=Zen LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp PYTHONPATH=/tmp/hfenv/site \
      /usr/bin/python3 bench/decoder_reference.py step gpt2 full
Step: AdamW (torch, lr 5e-5, weight decay 0.01 except biases and norm weights), clip_grad_norm_ 1.0, batch 8 x 128 of
random ids where the second half of the rows pads its last quarter (mask 0, label -100), labels = ids elsewhere; the
loss is transformers' own (labels=...). Generate: greedy generate(), no eos (every row makes --new tokens).
"""
import argparse, json, time
import torch

BATCH, SEQ = 8, 128
LR, WD, MAX_GRAD_NORM = 5e-5, 0.01, 1.0
LORA_R, LORA_ALPHA = 8, 16


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return round(int(line.split()[1]) / 1024.0, 1)
    return -1.0


def med(xs):
    xs = sorted(xs); n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def ms():
    return time.perf_counter() * 1000.0


def build(model, lora):
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    if model == "gpt2":
        config = GPT2Config(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                            activation_function="gelu_new", resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1,
                            layer_norm_epsilon=1e-5, bos_token_id=50256, eos_token_id=50256)
        config._attn_implementation = "eager"
        net = GPT2LMHeadModel(config)
    elif model == "llama":
        config = LlamaConfig(vocab_size=32000, hidden_size=512, intermediate_size=1408, num_hidden_layers=8,
                             num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=2048,
                             rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False,
                             attention_dropout=0.0, bos_token_id=1, eos_token_id=2)
        config._attn_implementation = "eager"
        net = LlamaForCausalLM(config)
    else:
        raise SystemExit(f"unknown model {model}")
    if lora:
        from peft import LoraConfig, get_peft_model
        net = get_peft_model(net, LoraConfig(r=LORA_R, lora_alpha=LORA_ALPHA, lora_dropout=0.0, task_type="CAUSAL_LM"))
    return net, config


def make_batch(vocab, batch, seq, seed=0):
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (batch, seq), generator=gen)
    mask = torch.ones(batch, seq, dtype=torch.long)
    mask[batch // 2:, seq - seq // 4:] = 0
    labels = ids.masked_fill(mask == 0, -100)
    return ids, mask, labels


def step(a, res):
    net, config = build(a.model, a.method == "lora")
    ids, mask, labels = make_batch(config.vocab_size, BATCH, SEQ)
    named = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    no_decay = lambda n: "bias" in n or "ln_" in n or "norm" in n
    groups = [{"params": [p for n, p in named if not no_decay(n)], "weight_decay": WD},
              {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}]
    params = [p for _, p in named]
    opt = torch.optim.AdamW(groups, lr=LR)
    net.train()
    res.update(params=sum(p.numel() for p in net.parameters()), trainable_params=sum(p.numel() for p in params),
               rss_before_training_mib=status("VmRSS"))
    tt, tf, tb, tc, to, losses = [], [], [], [], [], []
    for i in range(a.warmup + a.steps):
        t0 = ms()
        loss = net(input_ids=ids, attention_mask=mask, labels=labels).loss
        t1 = ms()
        loss.backward()
        t2 = ms()
        torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
        t3 = ms()
        opt.step()
        t4 = ms()
        opt.zero_grad(set_to_none=True)
        t5 = ms()
        losses.append(loss.item())
        if i >= a.warmup:
            tt.append(t5 - t0); tf.append(t1 - t0); tb.append(t2 - t1); tc.append(t3 - t2); to.append(t4 - t3)
    res.update(batch=f"{BATCH}x{SEQ}", warmup=a.warmup, steps=a.steps, step_ms=round(med(tt), 1),
               step_ms_all=[round(t, 1) for t in tt],
               phase_median_ms={"forward": round(med(tf), 1), "backward": round(med(tb), 1), "clip": round(med(tc), 1),
                                "optimizer": round(med(to), 1)},
               loss_first=round(losses[0], 4), loss_last=round(losses[-1], 4), rss_last_step_mib=status("VmRSS"))


def generate(a, res):
    net, config = build(a.model, False)
    net.eval()
    net.generation_config.eos_token_id = None
    net.generation_config.pad_token_id = 0
    ids, _, _ = make_batch(config.vocab_size, a.batch, a.prompt, seed=1)
    mask = torch.ones_like(ids)
    use_cache = a.cache == "true"
    secs = []
    for run in range(a.runs + 1):
        t0 = time.perf_counter()
        out = net.generate(input_ids=ids, attention_mask=mask, max_new_tokens=a.new, do_sample=False, use_cache=use_cache)
        if run > 0:
            secs.append(time.perf_counter() - t0)
    if out.shape[1] != a.prompt + a.new:
        raise SystemExit(f"generated {out.shape[1] - a.prompt} tokens, expected {a.new}")
    m = med(secs)
    res.update(use_cache=use_cache, batch=a.batch, prompt_tokens=a.prompt, new_tokens=a.new, runs=a.runs,
               seconds=round(m, 3), tokens_per_s=round(a.batch * a.new / m, 2), seconds_all=[round(s, 3) for s in secs],
               first_row_head=out[0, a.prompt:a.prompt + 8].tolist())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["step", "generate"])
    ap.add_argument("model", choices=["gpt2", "llama"])
    ap.add_argument("method", nargs="?", default="full", choices=["full", "lora"])
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--prompt", type=int, default=32)
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--cache", default="true", choices=["true", "false"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    import transformers
    res = {"impl": "pytorch", "torch": torch.__version__, "transformers": transformers.__version__, "model": a.model,
           "threads": torch.get_num_threads()}
    if a.what == "step":
        res["mode"] = a.method
        step(a, res)
    else:
        generate(a, res)
    res["peak_rss_mib"] = status("VmHWM")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
