//===- ModelDump.cpp - Stable text dump of the model ----------------------===//

#include "Sema/Model.h"

#include "llvm/Support/Path.h"

using namespace infrac;
using namespace infrac::sema;
using VK = Value::Kind;

static void printQuoted(llvm::StringRef s, llvm::raw_ostream &os) {
  os << '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      os << '\\' << c;
    else if (c == '\n')
      os << "\\n";
    else if (c == '\t')
      os << "\\t";
    else if (c < 0x20)
      os << fmt::format("\\u{:04x}", c);
    else
      os << c;
  }
  os << '"';
}

void sema::printValue(const Value &v, llvm::raw_ostream &os) {
  switch (v.kind) {
  case VK::None:
    os << "<unset>";
    return;
  case VK::Bool:
    os << (v.b ? "true" : "false");
    return;
  case VK::Int:
    os << v.i;
    return;
  case VK::Number:
    os << formatNumber(v.d);
    return;
  case VK::String:
    printQuoted(v.str, os);
    return;
  case VK::Duration:
    os << formatDuration(v.i);
    return;
  case VK::Size:
    os << formatSize(v.i);
    return;
  case VK::Percent:
    os << formatNumber(v.d) << '%';
    return;
  case VK::Rate:
    os << formatNumber(v.d) << "/s";
    return;
  case VK::Enum:
    os << v.str;
    return;
  case VK::Ref:
    os << (v.ref ? llvm::StringRef(v.ref->path) : llvm::StringRef("<null>"));
    if (!v.member().empty())
      os << '.' << v.member();
    if (v.index() >= 0)
      os << '[' << v.index() << ']';
    return;
  case VK::List: {
    os << '[';
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (i)
        os << ", ";
      printValue(v.items[i], os);
    }
    os << ']';
    return;
  }
  case VK::Map: {
    os << '{';
    for (size_t i = 0; i < v.fields.size(); ++i) {
      os << (i ? ", " : " ");
      printQuoted(v.fields[i].name, os);
      os << " = ";
      printValue(v.fields[i].value, os);
    }
    os << (v.fields.empty() ? "}" : " }");
    return;
  }
  case VK::Call: {
    os << v.str << '(';
    bool first = true;
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (!first)
        os << ", ";
      first = false;
      printValue(v.items[i], os);
    }
    for (const NamedValue &f : v.fields) {
      if (!first)
        os << ", ";
      first = false;
      os << f.name << " = ";
      printValue(f.value, os);
    }
    os << ')';
    return;
  }
  case VK::Object:
    os << v.str;
    return;
  case VK::Compare:
    printValue(v.items[0], os);
    os << ' ' << ast::spelling(v.op) << ' ';
    printValue(v.items[1], os);
    return;
  case VK::Weighted:
    printValue(v.items[0], os);
    os << ": ";
    printValue(v.items[1], os);
    return;
  case VK::And:
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (i)
        os << " and ";
      printValue(v.items[i], os);
    }
    return;
  }
}

static void printLoc(llvm::SMRange r, const llvm::SourceMgr &sm, llvm::raw_ostream &os) {
  PresumedLoc p = getPresumedLoc(sm, r.Start);
  if (p.line)
    os << " <" << llvm::sys::path::filename(p.file) << ':' << p.line << ':' << p.column
       << '>';
}

static void dumpResource(const Resource &r, const llvm::SourceMgr &sm,
                         llvm::raw_ostream &os, unsigned indent) {
  os.indent(indent) << r.keyword;
  if (r.keyword != r.kind())
    os << " (" << r.kind() << ')';
  if (!r.name.empty())
    os << ' ' << r.name;
  if (r.label.isSet()) {
    os << ' ';
    printValue(r.label, os);
  }
  if (r.implicit)
    os << " <implicit>";
  else
    printLoc(r.nameRange, sm, os);
  os << '\n';
  r.forEachAttr([&](const Attr &a) {
    os.indent(indent + 2) << a.spec->name << " = ";
    printValue(a.value, os);
    if (a.isDefault)
      os << "  # default";
    os << '\n';
    if (a.value.kind == VK::Object && a.value.ref)
      a.value.ref->forEachAttr([&](const Attr &oa) {
        os.indent(indent + 4) << oa.spec->name << " = ";
        printValue(oa.value, os);
        if (oa.isDefault)
          os << "  # default";
        os << '\n';
      });
  });
  for (const Expectation &x : r.expectations) {
    os.indent(indent + 2) << "expect ";
    printValue(x.condition, os);
    if (x.within.isSet()) {
      os << " within ";
      printValue(x.within, os);
    }
    if (x.after.isSet()) {
      os << " after ";
      printValue(x.after, os);
    }
    os << '\n';
  }
  for (const Resource *c : r.children)
    dumpResource(*c, sm, os, indent + 2);
}

void sema::dumpModel(const Model &model, const llvm::SourceMgr &sm, llvm::raw_ostream &os) {
  for (const ParamValue &p : model.params) {
    os << "param " << p.name << " = ";
    ast::printExpr(p.expr, os);
    if (p.overridden)
      os << "  # from -P";
    os << '\n';
  }
  for (const Resource *r : model.resources)
    dumpResource(*r, sm, os, 0);
}
