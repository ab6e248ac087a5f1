#include "engine/pipeline/batch.h"

#include <algorithm>

namespace dit {

int64_t batch_item_bytes(int branches, int64_t tokens_w, int64_t tokens_h, int64_t hidden, int64_t heads) {
    const int64_t tokens = tokens_w * tokens_h;
    return int64_t(branches) * 4 * (16 * tokens * hidden + heads * tokens * tokens);
}

int batch_group_size(int count, int branches, int64_t tokens_w, int64_t tokens_h, int64_t hidden, int64_t heads,
                     int64_t budget_bytes) {
    const int64_t per_item = std::max<int64_t>(1, batch_item_bytes(branches, tokens_w, tokens_h, hidden, heads));
    return int(std::clamp<int64_t>(budget_bytes / per_item, 1, std::max(1, count)));
}

}  // namespace dit
