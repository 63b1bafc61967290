//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
//
// The runtime's .npy I/O: compiled executables read their inputs from and
// write their outputs to NumPy's binary format (versions 1.0, 2.0 and 3.0).
// Headers are parsed fully so that errors can say what a file holds, but only
// little-endian float32 ('<f4'), C-contiguous arrays are loaded, since that is
// what compiled models take today.
//
// Nothing here asserts or aborts on file content: every problem becomes an
// error string that names the file and what is wrong with it.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_RUNTIME_NPY_H
#define FFN_RUNTIME_NPY_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ffn::runtime {

/// Heap memory aligned to `kAlignment` bytes, as the compiled models prefer
/// for their buffers. Movable, not copyable; zero-initialized.
class AlignedBuffer {
public:
  static constexpr size_t kAlignment = 64;

  AlignedBuffer() = default;

  /// Allocates `size` zeroed bytes (at least one alignment unit, so that the
  /// pointer is never null). Returns false when memory is exhausted.
  bool allocate(size_t size);

  void *data() { return memory.get(); }
  const void *data() const { return memory.get(); }
  size_t size() const { return byteSize; }

private:
  struct Free {
    void operator()(void *pointer) const { std::free(pointer); }
  };
  std::unique_ptr<void, Free> memory;
  size_t byteSize = 0;
};

/// What the header of an .npy file says.
struct NpyHeader {
  uint8_t majorVersion = 0;
  uint8_t minorVersion = 0;
  /// The dtype descriptor as written, e.g. "<f4" (a structured dtype's list
  /// is rejected while parsing).
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
  /// Offset of the first data byte from the start of the file.
  uint64_t dataOffset = 0;
};

/// A C-contiguous array read from an .npy file.
struct NpyArray {
  std::vector<int64_t> shape;
  /// The elements in row-major order, 64-byte aligned.
  AlignedBuffer data;

  const float *floats() const {
    return static_cast<const float *>(data.data());
  }
};

/// Parses the Python dict literal of an .npy header, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, into the
/// `descr`, `fortranOrder` and `shape` fields of `header`. Returns an empty
/// string on success, otherwise what is wrong with the text.
std::string parseNpyHeaderDict(std::string_view text, NpyHeader &header);

/// Returns the number of elements of `shape`, or -1 when a dimension is
/// negative or the product overflows int64_t.
int64_t getNumElements(const std::vector<int64_t> &shape);

/// Formats `shape` the way error messages show it: "[2, 3]", "[]" for a
/// scalar.
std::string formatShape(const int64_t *shape, size_t rank);
inline std::string formatShape(const std::vector<int64_t> &shape) {
  return formatShape(shape.data(), shape.size());
}

/// Reads the header of the .npy file at `path`. On failure returns false and
/// sets `error` to a message that names the file.
bool readNpyHeader(const std::string &path, NpyHeader &header,
                   std::string &error);

/// An element type the runtime reads and writes: its .npy descriptor (as
/// NumPy writes it), its name in messages, and its size in bytes.
struct NpyDtype {
  const char *descr;
  const char *name;
  size_t size;
};

/// The .npy element type of a model dtype (enum ffn_dtype), or null.
const NpyDtype *getNpyDtype(int32_t dtype);

/// Reads the C-contiguous array of element type `dtype` stored in the .npy
/// file at `path`, with the same checks and messages as readNpyF32.
bool readNpy(const std::string &path, const NpyDtype &dtype, NpyArray &array,
             std::string &error);

/// Writes `data` (row-major elements of `dtype` and `shape`) to `path`, as
/// writeNpyF32 does.
bool writeNpy(const std::string &path, const NpyDtype &dtype,
              const int64_t *shape, size_t rank, const void *data,
              std::string &error);

/// Reads the little-endian float32, C-contiguous array stored in the .npy file
/// at `path`. On failure returns false and sets `error` to a message that
/// names the file: a missing or unreadable file, a bad header, another dtype
/// ("expected float32 ('<f4') but x.npy has '<f8'"), Fortran order, or data
/// shorter or longer than the shape says.
bool readNpyF32(const std::string &path, NpyArray &array, std::string &error);

/// Writes `data` (row-major float32 elements of `shape`) to `path` as a
/// version 1.0 .npy file (2.0 when the header needs it). On failure returns
/// false and sets `error` to a message that names the file.
bool writeNpyF32(const std::string &path, const int64_t *shape, size_t rank,
                 const float *data, std::string &error);

} // namespace ffn::runtime

#endif // FFN_RUNTIME_NPY_H
