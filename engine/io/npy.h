#pragma once
// NumPy .npy files (format versions 1.0, 2.0 and 3.0, C order): the exchange format for noise
// latents (`--noise-file`) and reference outputs from tools/reference/.
#include <filesystem>

#include "engine/tensor.h"

namespace dit {

// Reads little-endian float arrays: '<f4' as is, '<f8' and '<f2' converted to f32. Throws
// dit::Error naming the file for a bad magic, an unsupported dtype or byte order, Fortran
// order, or truncated data.
Tensor read_npy(const std::filesystem::path& path);

// Writes '<f4', format 1.0, C order, atomically (temp file + rename).
void write_npy(const std::filesystem::path& path, const Tensor& t);

}  // namespace dit
