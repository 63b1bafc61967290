//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// Implements the .npy format as NumPy's `numpy.lib.format` documents it: the
// magic "\x93NUMPY", a major/minor version byte pair, a little-endian header
// length (2 bytes in version 1.0, 4 bytes in 2.0 and 3.0), a Python dict
// literal padded with spaces and a newline, then the raw elements.
//
// Files are untrusted: every length, dimension and size is checked against
// the file's real size before anything is allocated or read.
//
//===----------------------------------------------------------------------===//

#include "ffn/Runtime/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ffn::runtime;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the runtime reads and writes little-endian elements in place");

/// The magic string every .npy file starts with.
static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = sizeof(kMagic) - 1;

/// The largest header this reader accepts. NumPy itself refuses headers over
/// 10000 bytes unless told otherwise; anything near this limit is hostile.
static constexpr uint64_t kMaxHeaderSize = 1 << 20;

/// The element types of model inputs and outputs, by enum ffn_dtype
/// (ffn/Runtime/ModelABI.h); bool is one byte per element, as NumPy stores
/// it.
static const NpyDtype kDtypes[] = {
    {"<f4", "float32", 4}, {"<f8", "float64", 8}, {"<i8", "int64", 8},
    {"<i4", "int32", 4},   {"<i2", "int16", 2},   {"|i1", "int8", 1},
    {"|b1", "bool", 1},
};

const NpyDtype *ffn::runtime::getNpyDtype(int32_t dtype) {
  if (dtype < 0 || size_t(dtype) >= sizeof(kDtypes) / sizeof(kDtypes[0]))
    return nullptr;
  return &kDtypes[dtype];
}

//===----------------------------------------------------------------------===//
// AlignedBuffer
//===----------------------------------------------------------------------===//

bool AlignedBuffer::allocate(size_t size) {
  memory.reset();
  byteSize = 0;
  // aligned_alloc wants a multiple of the alignment; never allocate zero.
  size_t rounded = size == 0 ? kAlignment : size;
  if (rounded > std::numeric_limits<size_t>::max() - kAlignment)
    return false;
  rounded = (rounded + kAlignment - 1) / kAlignment * kAlignment;
  void *pointer = std::aligned_alloc(kAlignment, rounded);
  if (!pointer)
    return false;
  std::memset(pointer, 0, rounded);
  memory.reset(pointer);
  byteSize = size;
  return true;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

int64_t ffn::runtime::getNumElements(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return -1;
    if (dim != 0 && count > std::numeric_limits<int64_t>::max() / dim)
      return -1;
    count *= dim;
  }
  return count;
}

std::string ffn::runtime::formatShape(const int64_t *shape, size_t rank) {
  std::string text = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

//===----------------------------------------------------------------------===//
// Header dict parsing
//===----------------------------------------------------------------------===//

namespace {
/// A recursive-descent parser for the small subset of Python literals that
/// .npy headers use: a dict of string keys mapping to a string, a bool and a
/// tuple of non-negative integers. Each method returns an empty string on
/// success and the problem otherwise.
class HeaderDictParser {
public:
  explicit HeaderDictParser(std::string_view text) : text(text) {}

  std::string parse(NpyHeader &header);

private:
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  /// Skips whitespace, then consumes `c` if it comes next.
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  /// Describes what comes next, for error messages.
  std::string describeNext() {
    skipSpace();
    if (pos >= text.size())
      return "end of header";
    std::string_view rest = text.substr(pos, 12);
    std::string shown;
    for (char c : rest)
      shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    return "'" + shown + "'";
  }

  std::string parseString(std::string &value);
  std::string parseBool(bool &value);
  std::string parseShape(std::vector<int64_t> &shape);
  std::string parseInteger(int64_t &value);

  std::string_view text;
  size_t pos = 0;
};
} // namespace

std::string HeaderDictParser::parseString(std::string &value) {
  skipSpace();
  if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
    return "expected a string but found " + describeNext();
  char quote = text[pos++];
  value.clear();
  while (pos < text.size() && text[pos] != quote) {
    // Keep escapes as written; dtype descriptors never need them.
    if (text[pos] == '\\' && pos + 1 < text.size())
      value += text[pos++];
    value += text[pos++];
  }
  if (pos >= text.size())
    return "unterminated string";
  ++pos;
  return "";
}

std::string HeaderDictParser::parseBool(bool &value) {
  skipSpace();
  std::string_view rest = text.substr(pos);
  if (rest.substr(0, 4) == "True") {
    value = true;
    pos += 4;
    return "";
  }
  if (rest.substr(0, 5) == "False") {
    value = false;
    pos += 5;
    return "";
  }
  return "expected True or False but found " + describeNext();
}

std::string HeaderDictParser::parseInteger(int64_t &value) {
  skipSpace();
  bool negative = consume('-');
  skipSpace();
  if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
    return "expected a dimension but found " + describeNext();
  uint64_t magnitude = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    uint64_t digit = text[pos++] - '0';
    if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10)
      return "dimension does not fit in 64 bits";
    magnitude = magnitude * 10 + digit;
  }
  // Python 2 wrote long integers with an 'L' suffix.
  if (pos < text.size() && (text[pos] == 'L' || text[pos] == 'l'))
    ++pos;
  if (negative)
    return "negative dimension -" + std::to_string(magnitude);
  if (magnitude > uint64_t(std::numeric_limits<int64_t>::max()))
    return "dimension " + std::to_string(magnitude) + " is too large";
  value = int64_t(magnitude);
  return "";
}

std::string HeaderDictParser::parseShape(std::vector<int64_t> &shape) {
  shape.clear();
  if (!consume('('))
    return "expected a tuple for 'shape' but found " + describeNext();
  if (consume(')'))
    return "";
  while (true) {
    int64_t dim = 0;
    if (std::string error = parseInteger(dim); !error.empty())
      return error;
    shape.push_back(dim);
    if (consume(')'))
      return "";
    if (!consume(','))
      return "expected ',' or ')' in 'shape' but found " + describeNext();
    if (consume(')'))
      return "";
  }
}

std::string HeaderDictParser::parse(NpyHeader &header) {
  bool seenDescr = false, seenFortranOrder = false, seenShape = false;
  if (!consume('{'))
    return "expected '{' but found " + describeNext();
  while (!consume('}')) {
    std::string key;
    if (std::string error = parseString(key); !error.empty())
      return "bad key: " + error;
    if (!consume(':'))
      return "expected ':' after '" + key + "' but found " + describeNext();

    std::string error;
    if (key == "descr") {
      if (seenDescr)
        return "duplicate key 'descr'";
      seenDescr = true;
      skipSpace();
      if (pos < text.size() && text[pos] == '[')
        return "structured dtypes are not supported";
      error = parseString(header.descr);
    } else if (key == "fortran_order") {
      if (seenFortranOrder)
        return "duplicate key 'fortran_order'";
      seenFortranOrder = true;
      error = parseBool(header.fortranOrder);
    } else if (key == "shape") {
      if (seenShape)
        return "duplicate key 'shape'";
      seenShape = true;
      error = parseShape(header.shape);
    } else {
      return "unexpected key '" + key + "'";
    }
    if (!error.empty())
      return "bad value for '" + key + "': " + error;

    if (consume('}'))
      break;
    if (!consume(','))
      return "expected ',' or '}' but found " + describeNext();
  }
  // NumPy pads the dict with spaces and ends it with a newline.
  skipSpace();
  if (pos != text.size())
    return "unexpected " + describeNext() + " after the dict";
  if (!seenDescr)
    return "missing key 'descr'";
  if (!seenFortranOrder)
    return "missing key 'fortran_order'";
  if (!seenShape)
    return "missing key 'shape'";
  return "";
}

std::string ffn::runtime::parseNpyHeaderDict(std::string_view text,
                                             NpyHeader &header) {
  return HeaderDictParser(text).parse(header);
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {
/// A file descriptor closed on destruction.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : fd(fd) {}
  FileDescriptor(const FileDescriptor &) = delete;
  FileDescriptor &operator=(const FileDescriptor &) = delete;
  ~FileDescriptor() {
    if (fd >= 0)
      ::close(fd);
  }
  int get() const { return fd; }

private:
  int fd;
};
} // namespace

/// Reads exactly `size` bytes at `offset` of `fd` into `buffer`. Returns an
/// empty string on success, otherwise the reason (an errno message or "end of
/// file").
static std::string readFully(int fd, uint64_t offset, void *buffer,
                             size_t size) {
  char *out = static_cast<char *>(buffer);
  while (size > 0) {
    // Linux reads at most about 2 GiB per call; ask for no more than that.
    size_t chunk = size < (size_t(1) << 30) ? size : (size_t(1) << 30);
    ssize_t got = ::pread(fd, out, chunk, off_t(offset));
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return std::strerror(errno);
    }
    if (got == 0)
      return "unexpected end of file";
    out += got;
    offset += uint64_t(got);
    size -= size_t(got);
  }
  return "";
}

/// Reads and validates the header of the already opened `fd` (of `fileSize`
/// bytes) that was opened from `path`.
static bool readHeader(int fd, uint64_t fileSize, const std::string &path,
                       NpyHeader &header, std::string &error) {
  // Magic (6 bytes), version (2 bytes) and the header length (2 or 4 bytes).
  unsigned char prefix[12];
  if (fileSize == 0) {
    error = path + " is not an npy file (it is empty)";
    return false;
  }
  size_t prefixRead =
      fileSize < sizeof(prefix) ? size_t(fileSize) : sizeof(prefix);
  if (std::string reason = readFully(fd, 0, prefix, prefixRead);
      !reason.empty()) {
    error = "cannot read " + path + ": " + reason;
    return false;
  }
  size_t magicRead = prefixRead < kMagicSize ? prefixRead : kMagicSize;
  if (std::memcmp(prefix, kMagic, magicRead) != 0) {
    error = path + " is not an npy file (it does not start with "
                   "\"\\x93NUMPY\")";
    return false;
  }
  if (prefixRead < 10) {
    error = path + " is truncated: it ends inside the npy header";
    return false;
  }
  header.majorVersion = prefix[6];
  header.minorVersion = prefix[7];
  uint64_t headerSize, prefixSize;
  if (header.majorVersion == 1 && header.minorVersion == 0) {
    prefixSize = 10;
    headerSize = uint64_t(prefix[8]) | uint64_t(prefix[9]) << 8;
  } else if ((header.majorVersion == 2 || header.majorVersion == 3) &&
             header.minorVersion == 0) {
    prefixSize = 12;
    if (prefixRead < prefixSize) {
      error = path + " is truncated: it ends inside the npy header";
      return false;
    }
    headerSize = uint64_t(prefix[8]) | uint64_t(prefix[9]) << 8 |
                 uint64_t(prefix[10]) << 16 | uint64_t(prefix[11]) << 24;
  } else {
    error = path + " has unsupported npy format version " +
            std::to_string(header.majorVersion) + "." +
            std::to_string(header.minorVersion) + " (supported: 1.0, 2.0, 3.0)";
    return false;
  }
  if (headerSize > kMaxHeaderSize) {
    error = path + " has a corrupt npy header: it claims to be " +
            std::to_string(headerSize) + " bytes long";
    return false;
  }
  if (prefixSize + headerSize > fileSize) {
    error = path + " is truncated: its npy header needs " +
            std::to_string(prefixSize + headerSize) +
            " bytes but the file has " + std::to_string(fileSize);
    return false;
  }

  std::string text(headerSize, '\0');
  if (std::string reason = readFully(fd, prefixSize, text.data(), headerSize);
      !reason.empty()) {
    error = "cannot read " + path + ": " + reason;
    return false;
  }
  if (std::string problem = parseNpyHeaderDict(text, header);
      !problem.empty()) {
    error = path + " has a corrupt npy header: " + problem;
    return false;
  }
  header.dataOffset = prefixSize + headerSize;
  return true;
}

/// Opens `path` for reading and returns its descriptor and size, or -1 with
/// `error` set.
static int openForReading(const std::string &path, uint64_t &fileSize,
                          std::string &error) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return -1;
  }
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (!S_ISREG(info.st_mode)) {
    error = "cannot read " + path + ": " +
            (S_ISDIR(info.st_mode) ? "it is a directory"
                                   : "it is not a regular file");
    ::close(fd);
    return -1;
  }
  fileSize = uint64_t(info.st_size);
  return fd;
}

bool ffn::runtime::readNpyHeader(const std::string &path, NpyHeader &header,
                                 std::string &error) {
  uint64_t fileSize = 0;
  FileDescriptor fd(openForReading(path, fileSize, error));
  if (fd.get() < 0)
    return false;
  return readHeader(fd.get(), fileSize, path, header, error);
}

bool ffn::runtime::readNpyF32(const std::string &path, NpyArray &array,
                              std::string &error) {
  return readNpy(path, kDtypes[0], array, error);
}

bool ffn::runtime::readNpy(const std::string &path, const NpyDtype &dtype,
                           NpyArray &array, std::string &error) {
  uint64_t fileSize = 0;
  FileDescriptor fd(openForReading(path, fileSize, error));
  if (fd.get() < 0)
    return false;
  NpyHeader header;
  if (!readHeader(fd.get(), fileSize, path, header, error))
    return false;

  if (header.descr != dtype.descr) {
    error = std::string("expected ") + dtype.name + " ('" + dtype.descr +
            "') but " + path + " has '" + header.descr + "'";
    return false;
  }
  if (header.fortranOrder) {
    error = path + " holds a Fortran-order array; only C-contiguous arrays "
                   "are supported (save np.ascontiguousarray(a))";
    return false;
  }
  int64_t numElements = getNumElements(header.shape);
  if (numElements < 0 || numElements > std::numeric_limits<int64_t>::max() /
                                           int64_t(dtype.size)) {
    error = path + " has a corrupt npy header: shape " +
            formatShape(header.shape) + " is too large";
    return false;
  }
  uint64_t dataSize = uint64_t(numElements) * dtype.size;
  uint64_t available = fileSize - header.dataOffset;
  if (available != dataSize) {
    error = path + (available < dataSize ? " is truncated" : " is corrupt") +
            ": shape " + formatShape(header.shape) + " of " + dtype.name +
            " needs " +
            std::to_string(dataSize) + " data bytes but the file holds " +
            std::to_string(available);
    return false;
  }
  if (dataSize > std::numeric_limits<size_t>::max() ||
      !array.data.allocate(size_t(dataSize))) {
    error = "out of memory reading " + path + " (" + std::to_string(dataSize) +
            " bytes)";
    return false;
  }
  if (std::string reason = readFully(fd.get(), header.dataOffset,
                                     array.data.data(), size_t(dataSize));
      !reason.empty()) {
    error = "cannot read " + path + ": " + reason;
    return false;
  }
  array.shape = std::move(header.shape);
  return true;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// Builds the header (dict, space padding and newline) for an array of
/// `descr` and `shape` and returns it together with the format version it
/// needs.
static std::string buildHeader(std::string_view descr, const int64_t *shape,
                               size_t rank, uint8_t &majorVersion) {
  std::string dict = "{'descr': '" + std::string(descr) +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      dict += ", ";
    dict += std::to_string(shape[i]);
  }
  // A one-element Python tuple needs its trailing comma.
  dict += rank == 1 ? ",), }" : "), }";

  // Pad so that the data starts on a 64-byte boundary, as NumPy does.
  auto pad = [&](size_t prefixSize) {
    size_t total = prefixSize + dict.size() + 1;
    return dict + std::string((64 - total % 64) % 64, ' ') + "\n";
  };
  std::string header = pad(10);
  majorVersion = 1;
  if (header.size() > 0xffff) {
    header = pad(12);
    majorVersion = 2;
  }
  return header;
}

bool ffn::runtime::writeNpyF32(const std::string &path, const int64_t *shape,
                               size_t rank, const float *data,
                               std::string &error) {
  return writeNpy(path, kDtypes[0], shape, rank, data, error);
}

bool ffn::runtime::writeNpy(const std::string &path, const NpyDtype &dtype,
                            const int64_t *shape, size_t rank,
                            const void *data, std::string &error) {
  std::vector<int64_t> dims(shape, shape + rank);
  int64_t numElements = getNumElements(dims);
  if (numElements < 0 ||
      uint64_t(numElements) > std::numeric_limits<size_t>::max() / dtype.size) {
    error = "cannot write " + path + ": invalid shape " + formatShape(dims);
    return false;
  }
  uint8_t majorVersion = 1;
  std::string header = buildHeader(dtype.descr, shape, rank, majorVersion);

  std::string prefix(kMagic, kMagicSize);
  prefix += char(majorVersion);
  prefix += char(0);
  uint32_t headerSize = uint32_t(header.size());
  prefix += char(headerSize & 0xff);
  prefix += char((headerSize >> 8) & 0xff);
  if (majorVersion != 1) {
    prefix += char((headerSize >> 16) & 0xff);
    prefix += char((headerSize >> 24) & 0xff);
  }

  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  // Only a regular file may be removed after a failed write; the path could
  // also name a device or a pipe.
  struct stat info;
  bool isRegularFile =
      ::fstat(fileno(file), &info) == 0 && S_ISREG(info.st_mode);
  size_t dataSize = size_t(numElements) * dtype.size;
  bool ok =
      std::fwrite(prefix.data(), 1, prefix.size(), file) == prefix.size() &&
      std::fwrite(header.data(), 1, header.size(), file) == header.size() &&
      (dataSize == 0 || std::fwrite(data, 1, dataSize, file) == dataSize);
  int savedErrno = errno;
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok) {
    error = "cannot write " + path + ": " + std::strerror(savedErrno);
    // Do not leave a partial file that looks like a result.
    if (isRegularFile)
      std::remove(path.c_str());
    return false;
  }
  return true;
}
