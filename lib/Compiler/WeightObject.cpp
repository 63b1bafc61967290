//===- WeightObject.cpp - the weights as an object file of their own ------===//
//
// Writes the ELF64 relocatable object by hand: the header, the weights'
// section (.rodata.ffn_weights, 64-byte aligned), an empty .note.GNU-stack
// (no executable stack), the symbol table and the string tables, then the
// section headers. The bytes are copied from the resource blobs to the file
// one weight at a time.
//
//===----------------------------------------------------------------------===//

#include "WeightObject.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SwapByteOrder.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::ffn;
namespace elf = llvm::ELF;

namespace {
/// One weight moved to the object.
struct Weight {
  LLVM::GlobalOp global;
  ArrayRef<char> bytes;
  uint64_t offset = 0;
  std::string symbol;
};

/// Section indices of the object.
enum Section : uint16_t {
  kNull,
  kWeights,
  kNoteStack,
  kSymtab,
  kStrtab,
  kShstrtab,
  kNumSections
};
} // namespace

/// The bytes of `global`'s initializer when it is a resource blob holding
/// exactly the global's data (whole-byte elements), else empty.
static ArrayRef<char> blobBytes(LLVM::GlobalOp global) {
  auto attr = dyn_cast_or_null<DenseResourceElementsAttr>(global.getValueOrNull());
  if (!attr || !global.getConstant())
    return {};
  AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  Type element = attr.getType().getElementType();
  if (!blob || !element.isIntOrFloat() ||
      element.getIntOrFloatBitWidth() % 8 != 0)
    return {};
  ArrayRef<char> data = blob->getData();
  uint64_t expected =
      attr.getType().getNumElements() * (element.getIntOrFloatBitWidth() / 8);
  return data.size() == expected ? data : ArrayRef<char>();
}

template <typename T>
static void writeStruct(llvm::raw_ostream &os, const T &value) {
  os.write(reinterpret_cast<const char *>(&value), sizeof(T));
}

static void padTo(llvm::raw_ostream &os, uint64_t &pos, uint64_t target) {
  os.write_zeros(target - pos);
  pos = target;
}

/// Writes the object holding `weights` (offsets set, `size` bytes in all).
static LogicalResult writeObject(StringRef path, ArrayRef<Weight> weights,
                                 uint64_t size, std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  // The string tables, and where each name starts.
  std::string strtab(1, '\0');
  SmallVector<uint32_t> names;
  for (const Weight &w : weights) {
    names.push_back(strtab.size());
    strtab += w.symbol;
    strtab.push_back('\0');
  }
  std::string shstrtab(1, '\0');
  uint32_t sectionNames[kNumSections] = {0};
  for (auto [index, name] :
       {std::pair<Section, StringRef>(kWeights, ".rodata.ffn_weights"),
        {kNoteStack, ".note.GNU-stack"},
        {kSymtab, ".symtab"},
        {kStrtab, ".strtab"},
        {kShstrtab, ".shstrtab"}}) {
    sectionNames[index] = shstrtab.size();
    shstrtab += name.str();
    shstrtab.push_back('\0');
  }

  // Layout: header, weights, symbols, strings, section headers.
  uint64_t dataOffset = sizeof(elf::Elf64_Ehdr); // 64: the weights' alignment
  uint64_t symtabOffset = llvm::alignTo(dataOffset + size, 8);
  uint64_t symtabSize = (weights.size() + 1) * sizeof(elf::Elf64_Sym);
  uint64_t strtabOffset = symtabOffset + symtabSize;
  uint64_t shstrtabOffset = strtabOffset + strtab.size();
  uint64_t headersOffset =
      llvm::alignTo(shstrtabOffset + shstrtab.size(), 8);

  elf::Elf64_Ehdr header;
  std::memset(&header, 0, sizeof(header));
  std::memcpy(header.e_ident, elf::ElfMagic, 4);
  header.e_ident[elf::EI_CLASS] = elf::ELFCLASS64;
  header.e_ident[elf::EI_DATA] = elf::ELFDATA2LSB;
  header.e_ident[elf::EI_VERSION] = elf::EV_CURRENT;
  header.e_ident[elf::EI_OSABI] = elf::ELFOSABI_NONE;
  header.e_type = elf::ET_REL;
  header.e_machine = elf::EM_X86_64;
  header.e_version = elf::EV_CURRENT;
  header.e_shoff = headersOffset;
  header.e_ehsize = sizeof(elf::Elf64_Ehdr);
  header.e_shentsize = sizeof(elf::Elf64_Shdr);
  header.e_shnum = kNumSections;
  header.e_shstrndx = kShstrtab;
  uint64_t pos = 0;
  writeStruct(os, header);
  pos += sizeof(header);

  for (const Weight &w : weights) {
    padTo(os, pos, dataOffset + w.offset);
    os.write(w.bytes.data(), w.bytes.size());
    pos += w.bytes.size();
  }
  padTo(os, pos, symtabOffset);
  elf::Elf64_Sym null;
  std::memset(&null, 0, sizeof(null));
  writeStruct(os, null);
  for (auto [w, name] : llvm::zip(weights, names)) {
    elf::Elf64_Sym sym;
    std::memset(&sym, 0, sizeof(sym));
    sym.st_name = name;
    sym.setBindingAndType(elf::STB_GLOBAL, elf::STT_OBJECT);
    sym.st_other = elf::STV_HIDDEN;
    sym.st_shndx = kWeights;
    sym.st_value = w.offset;
    sym.st_size = w.bytes.size();
    writeStruct(os, sym);
  }
  pos += symtabSize;
  os << strtab << shstrtab;
  pos += strtab.size() + shstrtab.size();
  padTo(os, pos, headersOffset);

  auto section = [&](Section index, uint32_t type, uint64_t flags,
                     uint64_t offset, uint64_t bytes, uint32_t link,
                     uint32_t info, uint64_t align, uint64_t entsize) {
    elf::Elf64_Shdr sh;
    std::memset(&sh, 0, sizeof(sh));
    if (index != kNull)
      sh.sh_name = sectionNames[index];
    sh.sh_type = type;
    sh.sh_flags = flags;
    sh.sh_offset = offset;
    sh.sh_size = bytes;
    sh.sh_link = link;
    sh.sh_info = info;
    sh.sh_addralign = align;
    sh.sh_entsize = entsize;
    writeStruct(os, sh);
  };
  section(kNull, elf::SHT_NULL, 0, 0, 0, 0, 0, 0, 0);
  section(kWeights, elf::SHT_PROGBITS, elf::SHF_ALLOC, dataOffset, size, 0, 0,
          64, 0);
  section(kNoteStack, elf::SHT_PROGBITS, 0, symtabOffset, 0, 0, 0, 1, 0);
  // sh_info: the index of the first global symbol (after the null one).
  section(kSymtab, elf::SHT_SYMTAB, 0, symtabOffset, symtabSize, kStrtab, 1,
          8, sizeof(elf::Elf64_Sym));
  section(kStrtab, elf::SHT_STRTAB, 0, strtabOffset, strtab.size(), 0, 0, 1,
          0);
  section(kShstrtab, elf::SHT_STRTAB, 0, shstrtabOffset, shstrtab.size(), 0,
          0, 1, 0);
  os.close();
  if (os.has_error()) {
    error = "cannot write '" + path.str() + "': " + os.error().message();
    os.clear_error();
    return failure();
  }
  return success();
}

FailureOr<int64_t> mlir::ffn::externalizeWeights(ModuleOp module,
                                                 StringRef prefix,
                                                 StringRef path,
                                                 std::string &error) {
  // The object is little-endian x86-64, written from host memory.
  if (!llvm::sys::IsLittleEndianHost)
    return 0;
  SymbolTable symbols(module);
  SmallVector<Weight> weights;
  uint64_t size = 0;
  for (auto global : module.getOps<LLVM::GlobalOp>()) {
    ArrayRef<char> bytes = blobBytes(global);
    if (bytes.size() < static_cast<size_t>(kMinExternalWeightBytes))
      continue;
    // Every weight at a multiple of 64 bytes, the section's alignment.
    if (global.getAlignment().value_or(1) > 64)
      continue;
    size = llvm::alignTo(size, 64);
    std::string symbol =
        (prefix + "_weight_" + Twine(weights.size())).str();
    while (symbols.lookup(symbol))
      symbol += "_";
    weights.push_back({global, bytes, size, symbol});
    size += bytes.size();
  }
  if (weights.empty())
    return 0;
  if (failed(writeObject(path, weights, size, error)))
    return failure();
  // Every reference renamed in one walk of the module (SymbolTable::rename
  // walks it once per symbol).
  MLIRContext *ctx = module.getContext();
  DenseMap<StringAttr, StringAttr> renamed;
  for (Weight &w : weights)
    renamed[w.global.getSymNameAttr()] = StringAttr::get(ctx, w.symbol);
  AttrTypeReplacer replacer;
  replacer.addReplacement(
      [&](FlatSymbolRefAttr ref) -> std::optional<Attribute> {
        auto it = renamed.find(ref.getAttr());
        if (it == renamed.end())
          return std::nullopt;
        return FlatSymbolRefAttr::get(it->second);
      });
  replacer.recursivelyReplaceElementsIn(module);
  for (Weight &w : weights) {
    w.global.setSymName(w.symbol);
    w.global.removeValueAttr();
    w.global.setLinkage(LLVM::Linkage::External);
    w.global.setVisibility_(LLVM::Visibility::Hidden);
    w.global.setDsoLocal(true);
    w.global.removeUnnamedAddrAttr();
  }
  return static_cast<int64_t>(weights.size());
}
