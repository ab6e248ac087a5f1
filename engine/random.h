#pragma once
// The engine's seeded noise: the same seed gives the same latent on every machine, compiler and
// backend, and tools/reference/samplers.py reproduces it bit for bit in numpy.
//
// Definition (docs/samplers.md):
//   bits:    Philox4x32-10 (Salmon et al. 2011, Random123's constants), key = (seed low 32 bits,
//            seed high 32 bits), counter = (block low, block high, stream low, stream high),
//            one 128-bit block -> four uint32 words w0..w3.
//   uniform: u = (w + 0.5) / 2^32, in double, strictly inside (0, 1).
//   normal:  Box-Muller in double on the pairs (w0, w1) and (w2, w3):
//            r = sqrt(-2 ln u_a), z_a = r cos(2 pi u_b), z_b = r sin(2 pi u_b); rounded to f32.
//            Block b gives normals 4b .. 4b+3, in the order z(w0,w1)cos, sin, z(w2,w3)cos, sin.
//   fill:    a tensor takes consecutive normals in row-major order.
//   streams: randn(shape, seed) is stream 0 from block 0. A NoiseStream starts at block 0 of its
//            stream and each next() begins at a fresh block (a draw of n values uses ceil(n/4)
//            blocks), so draws never depend on anything but the seed, the stream and the sizes
//            drawn before.
#include <array>
#include <cstdint>

#include "engine/tensor.h"

namespace dit {

// One Philox4x32-10 block (exposed for its known-answer test).
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// N(0, 1) values, row-major, from stream 0 of `seed`.
Tensor randn(const Shape& shape, uint64_t seed);

// Successive draws from one (seed, stream): per-step noise of the stochastic samplers.
class NoiseStream {
public:
    explicit NoiseStream(uint64_t seed, uint64_t stream = 0) : seed_(seed), stream_(stream) {}
    Tensor next(const Shape& shape);
    void fill(float* out, int64_t n);       // the same draw into caller memory
    uint64_t block() const { return block_; }  // the next unused block

private:
    uint64_t seed_, stream_, block_ = 0;
};

}  // namespace dit
