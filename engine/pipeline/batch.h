#pragma once
// Batches: N images of one request with seeds seed, seed + 1, ... (dit-cli generate --batch N,
// the studio's batch count). Each item keeps its own noise, sampler and step noise, so item k is
// the image a single run with seed + k makes; only the transformer's forward is shared, with the
// items (and their guidance pairs) stacked along the batch axis, as the CFG pair already is.
//
// The rule for how many items share a forward: the activations one item needs in one forward,
// estimated as branches x 4 bytes x (16 x tokens x hidden + heads x tokens^2) (the block's
// hidden-sized buffers: norms, q/k/v, attention output, the 4x MLP; and one attention score
// matrix per head), must fit kBatchActivationBytes together; at least one item runs.
#include <cstdint>

namespace dit {

constexpr int kMaxBatch = 64;
constexpr int64_t kBatchActivationBytes = int64_t(2) << 30;  // 2 GiB

int64_t batch_item_bytes(int branches, int64_t tokens_w, int64_t tokens_h, int64_t hidden, int64_t heads);
// Items per forward for `count` images (1..count).
int batch_group_size(int count, int branches, int64_t tokens_w, int64_t tokens_h, int64_t hidden, int64_t heads,
                     int64_t budget_bytes = kBatchActivationBytes);

}  // namespace dit
