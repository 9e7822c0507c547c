//===- CloudFormation.h - The model as an AWS CloudFormation template -*- C++ -*-===//
//
// The back end of `infrac build`: the checked model becomes a CloudFormation
// template, an ordered tree of Nodes written as JSON or YAML. Resources come in
// declaration order, each followed by the resources derived from it; logical
// ids are the user's names in UpperCamel with a kind suffix (`web_asg` ->
// `WebAsg`, listener `http` of `shop_alb` -> `ShopAlbHttpListener`). Nothing
// depends on pointers or hashing, so the output is byte-identical run to run.
//
// How each kind maps to AWS resources is documented in docs/cloudformation.md.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_EMIT_CLOUDFORMATION_H
#define INFRAC_EMIT_CLOUDFORMATION_H

#include "Basic/Diagnostics.h"
#include "Sema/Model.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace infrac::emit {

class NodeArena;

/// A JSON-like value: null, a boolean, a number, a string, a list, or a map
/// whose keys keep their insertion order (so a resource reads Type before
/// Properties). A Node is a handle to data in the current NodeArena: copying
/// a Node shares the value, and nodes must not be changed once they are
/// placed in two trees.
class Node {
public:
  enum class Kind : unsigned char { Null, Bool, Int, Number, String, List, Map };
  /// A list item (empty key) or a map entry.
  struct Entry;

  Node() = default;
  // Constructors allocate in the current arena (see NodeArena::Scope).
  static Node boolean(bool b);
  static Node integer(int64_t i);
  /// Whole numbers become integers: 1000, not 1000.0.
  static Node number(double d);
  static Node string(llvm::StringRef s);
  static Node list();
  static Node map();
  /// {"Ref": id}
  static Node ref(llvm::StringRef id);
  /// {"Fn::GetAtt": [id, attr]}
  static Node getAtt(llvm::StringRef id, llvm::StringRef attr);

  Kind kind() const { return d ? d->kind : Kind::Null; }
  bool isNull() const { return kind() == Kind::Null; }
  bool asBool() const { return d->b; }
  int64_t asInt() const { return d->i; }
  double asNumber() const { return d->num; }
  llvm::StringRef asString() const {
    return kind() == Kind::String ? llvm::StringRef(d->str.data, d->str.size) : llvm::StringRef();
  }
  /// String: whether it holds no character that JSON escapes (for the writers).
  bool needsNoEscape() const { return d->plain; }

  /// Map: appends `key` (not checked for duplicates); returns the new value,
  /// which stays where it is.
  Node &add(llvm::StringRef key, Node value);
  /// List: appends; returns the new item.
  Node &push(Node value);
  /// Map: the value of `key`, or null.
  const Node *get(llvm::StringRef key) const;
  Node *get(llvm::StringRef key);
  size_t size() const { return isCollection() ? d->size : 0; }
  bool empty() const { return size() == 0; }

  /// The entries of a list or map, in order.
  class iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const Entry *;
    using reference = const Entry &;
    explicit iterator(const Entry *e = nullptr) : e(e) {}
    const Entry &operator*() const { return *e; }
    const Entry *operator->() const { return e; }
    iterator &operator++();
    bool operator==(const iterator &o) const { return e == o.e; }
    bool operator!=(const iterator &o) const { return e != o.e; }

  private:
    const Entry *e;
  };
  iterator begin() const { return iterator(isCollection() ? d->list.first : nullptr); }
  iterator end() const { return iterator(); }

private:
  /// 24 bytes: a template of 7,500 resources has about 300,000 of them.
  /// A String's characters follow it in the arena.
  struct Data {
    Kind kind;
    /// String: holds no character that JSON escapes. Found as the string is
    /// copied into the arena, where it is read anyway, so that the writer need
    /// not look at it again.
    bool plain;
    uint32_t size; ///< List and Map: the number of entries.
    union {
      bool b;
      int64_t i;
      double num;
      struct {
        const char *data;
        size_t size;
      } str;
      struct {
        Entry *first, *last;
      } list;
    };
  };
  bool isCollection() const { return d && (d->kind == Kind::List || d->kind == Kind::Map); }
  /// A node and `extra` bytes after it.
  static Node make(Kind k, size_t extra = 0);
  Node &append(llvm::StringRef key, Node value);
  Data *d = nullptr;
};

/// 32 bytes, followed in the arena by the characters of the key.
struct Node::Entry {
  llvm::StringRef key() const { return {keyData, keySize}; }
  Node value;
  Entry *next;
  const char *keyData;
  uint32_t keySize;
  bool keyPlain; ///< The key holds no character that JSON escapes.
};

inline Node::iterator &Node::iterator::operator++() {
  e = e->next;
  return *this;
}

/// Owns the memory of nodes. Node constructors allocate in the arena of the
/// innermost live Scope of this thread.
class NodeArena {
public:
  NodeArena() = default;
  NodeArena(const NodeArena &) = delete;
  NodeArena &operator=(const NodeArena &) = delete;

  /// Makes `arena` current for the lifetime of the scope.
  class Scope {
  public:
    explicit Scope(NodeArena &arena);
    ~Scope();
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

  private:
    NodeArena *previous;
  };

  /// The current arena; asserts that there is one.
  static NodeArena &current();
  void *allocate(size_t size, size_t align) { return alloc.Allocate(size, llvm::Align(align)); }
  /// Copies `s` to `to`; returns whether it holds no character that JSON
  /// escapes.
  static bool copy(llvm::StringRef s, char *to);

private:
  llvm::BumpPtrAllocatorImpl<llvm::MallocAllocator, 1 << 16> alloc;
};

/// A built template: the root map and the memory of all its nodes.
struct Template {
  std::unique_ptr<NodeArena> arena;
  Node root;
  /// What deploys but may not work as designed (one sentence each, in the
  /// style of diagnostics), for the driver to show.
  std::vector<std::string> warnings;
};

struct CfnOptions {
  /// The template's Description.
  std::string description;
};

/// Reports what the template needs beyond a design that `check` and `sim`
/// take (BLD001: an ensemble without subnets); buildCloudFormation may only
/// be given a model with no error after this and the rules.
void checkBuildable(const sema::Model &model, DiagnosticEngine &diags);

/// Compiles a checked model (no errors) to a template. Fails on a design that
/// checks clean but that infrac cannot deploy (e.g. a coordination ensemble
/// without subnets); nothing is printed.
llvm::Expected<Template> buildCloudFormation(const sema::Model &model, const CfnOptions &opts);

/// Writes a template as JSON (two-space indentation, final newline).
void writeJSON(const Node &root, llvm::raw_ostream &os);
/// Writes a template as block-style YAML that YAML 1.1 and 1.2 parsers read
/// back as the JSON's tree (final newline).
void writeYAML(const Node &root, llvm::raw_ostream &os);

} // namespace infrac::emit

#endif
