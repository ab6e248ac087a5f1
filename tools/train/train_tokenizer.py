"""Stage 1: a SentencePiece model trained on the world's captions, with T5's special ids
(<pad> 0, </s> 1, <unk> 2, no <s>), lower-cased like the prompts the pipeline feeds it."""
import os
import sys

import sentencepiece as spm

import config
import world_data


def main(world_dir):
    out = os.path.join(config.train_dir(), "spiece")
    captions = os.path.join(config.train_dir(), "captions.txt")
    with open(captions, "w") as f:
        for c in world_data.load(world_dir)["captions"]:
            f.write(c.lower().strip() + "\n")
    spm.SentencePieceTrainer.train(
        input=captions, model_prefix=out, vocab_size=config.TOKENIZER["vocab_size"],
        model_type=config.TOKENIZER["model_type"], pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        character_coverage=1.0, normalization_rule_name="identity", hard_vocab_limit=False,
        minloglevel=2)
    print(f"wrote {out}.model")


if __name__ == "__main__":
    main(sys.argv[1])
