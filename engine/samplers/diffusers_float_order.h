#pragma once
// Included by every sampler source: the same float32 operations, in the same order, as
// diffusers' torch code. No fused multiply-add, which would round differently where diffusers'
// own arithmetic cancels (huge sigmas of the cosine schedule). Affects the including file only.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
