//===- DifferentialTest.cpp - What check accepts, cfn-lint accepts ---------===//
//
// A differential test of the rule catalogue and the emitter against cfn-lint.
// A generator makes valid-looking variants of the examples and of the
// coverage designs (tests/golden/cfn/*.infra), each changing one thing:
//   * a value, across and beyond AWS's ranges (ports, durations, sizes, IOPS,
//     priorities, CIDR blocks, instance types, AMI ids, zones, cron fields...);
//   * an enum, which makes forbidden combinations (a UDP listener before an
//     HTTP group, a gp2 volume with IOPS...);
//   * a reference, to another resource of the same kind (a public subnet for
//     a private one, one security group for another, a target group twice in
//     a forward): cross-resource mistakes.
// Every variant that `infrac build` accepts (exit 0: check found no error) is
// built and its template linted by cfn-lint for the design's region; an error
// cfn-lint reports on such a template fails the test, naming the variant.
//
// The suite lints a fixed sample (about 1 in SampleStride variants, picked by
// a hash of the variant's description, so the same ones every run);
// INFRAC_DIFFERENTIAL=full lints every variant and prints the counts:
//   INFRAC_DIFFERENTIAL=full build/tests/infrac_tests --gtest_filter='Differential*'
//
//===----------------------------------------------------------------------===//

#include "CfnTools.h"
#include "TestSupport.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

using namespace infrac;
using namespace infrac::test;
using llvm::StringRef;

namespace {

const std::string bin = INFRAC_BINARY;

/// One design the generator made.
struct Variant {
  std::string region; ///< The region of the design it comes from.
  std::string what;   ///< "webshop.infra:45: 'interval = 15s' -> '301s'".
  std::string text;
};

//===----------------------------------------------------------------------===//
// The design's tokens
//===----------------------------------------------------------------------===//

struct Token {
  enum Kind { Word, String, Punct } kind;
  size_t begin, end;
  bool lineStart; ///< The first token on its line.
};

/// The tokens of a design, enough to find its attributes and references:
/// words (names, numbers with their units), strings and single punctuation
/// characters; comments are dropped.
std::vector<Token> tokenize(StringRef text) {
  std::vector<Token> out;
  bool lineStart = true;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      lineStart = true;
      ++i;
    } else if (llvm::isSpace(c)) {
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n')
        ++i;
    } else if (c == '"') {
      size_t b = i++;
      while (i < text.size() && text[i] != '"')
        i += text[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, text.size());
      out.push_back({Token::String, b, i, lineStart});
      lineStart = false;
    } else if (llvm::isAlnum(c) || c == '_' || c == '.') {
      size_t b = i;
      while (i < text.size() && (llvm::isAlnum(text[i]) || text[i] == '_' || text[i] == '.'))
        ++i;
      out.push_back({Token::Word, b, i, lineStart});
      lineStart = false;
    } else {
      out.push_back({Token::Punct, i, i + 1, lineStart});
      lineStart = false;
      ++i;
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// The mutations
//===----------------------------------------------------------------------===//

std::string repeated(char c, size_t n) { return std::string(n, c); }

/// The values tried for an attribute, wherever it is written. "{region}" is
/// the design's region, "{other}" another one.
const std::map<std::string, std::vector<std::string>> &valueMutations() {
  static const std::map<std::string, std::vector<std::string>> table = {
      {"port", {"0", "1", "443", "6081", "65535", "65536"}},
      {"to_port", {"0", "65535", "65536"}},
      {"instance_port", {"0", "8080", "65536"}},
      {"client_port", {"2888", "2182", "65536"}},
      {"protocol", {"http", "https", "tcp", "udp", "tls", "tcp_udp", "all", "geneve", "quic"}},
      {"interval", {"4s", "5s", "300s", "301s"}},
      {"timeout", {"1s", "2s", "120s", "121s"}},
      {"healthy_threshold", {"1", "2", "10", "11"}},
      {"unhealthy_threshold", {"1", "2", "10", "11"}},
      {"deregistration_delay", {"0s", "3600s", "3601s"}},
      {"slow_start", {"0s", "29s", "30s", "900s", "901s"}},
      {"duration", {"0s", "1s", "7d", "8d"}},
      {"idle_timeout", {"0s", "1s", "4000s", "4001s"}},
      {"instance_type",
       {"\"t3.nano\"", "\"m5.large\"", "\"t3.mega\"", "\"m5\"", "\"u-24tb1.112xlarge\"",
        "\"p5.48xlarge\"", "\"T3.micro\""}},
      {"instance_types", {"[\"m5.large\", \"m5.large\"]", "[\"t3.mega\"]", "[]"}},
      {"image",
       {"\"ami-12345678\"", "\"ami-123\"", "\"ami-0123456789ABCDEF0\"",
        "\"img-0123456789abcdef0\"", "\"\""}},
      {"zone", {"\"{region}b\"", "\"{region}z\"", "\"{other}a\"", "\"moon-1a\""}},
      {"cidr",
       {"\"10.0.0.5/16\"", "\"10.0.0.0/8\"", "\"10.0.0.0/29\"", "\"10.0.0.0/28\"",
        "\"192.168.0.0/16\"", "\"10.1.0.0/16\"", "\"10.0.1.0/24\""}},
      {"secondary_cidrs",
       {"[\"172.16.0.0/16\"]", "[\"10.0.0.0/16\"]", "[\"100.64.0.0/16\"]", "[\"10.9.0.5/16\"]"}},
      {"ssl_policy",
       {"\"ELBSecurityPolicy-2016-08\"", "\"ELBSecurityPolicy-TLS-1-2-2017-01\"",
        "\"ELBSecurityPolicy-TLS13-1-3-2021-06\"", "\"ELBSecurityPolicy-Bogus\"",
        "\"TLSv1.2\""}},
      {"certificates",
       {"[\"arn:aws:acm:{other}:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\"]",
        "[\"arn:aws:iam::123456789012:server-certificate/shop\"]",
        "[\"arn:aws:acm:{region}:1234:certificate/x\"]"}},
      {"alpn_policy", {"HTTP2Only", "None"}},
      {"scheme", {"internal", "internet_facing"}},
      {"public", {"true", "false"}},
      {"type",
       {"application", "network", "gateway", "gp2", "io2", "st1", "sc1", "standard", "step",
        "source_ip", "app_cookie"}},
      {"target_type", {"instance", "ip", "lambda", "alb"}},
      {"ip_address_type", {"ipv4", "ipv6", "dualstack"}},
      {"algorithm", {"round_robin", "least_outstanding_requests", "weighted_random"}},
      {"recurrence",
       {"\"61 1 * * *\"", "\"0 24 * * *\"", "\"0 1 32 * *\"", "\"0 1 * 13 *\"",
        "\"0 1 * * 8\"", "\"*/15 * * * *\"", "\"0 1 * * MON-FRI\"", "\"0 1 * *\""}},
      {"timezone",
       {"\"Asia/Seul\"", "\"UTC\"", "\"Etc/GMT+5\"", "\"Europe/London\"", "\"Mars/Olympus\""}},
      {"release",
       {"\"emr-9.9.9\"", "\"emr-4.0.0\"", "\"emr-5.36.0\"", "\"emr-6.15.0\"", "\"emr-7.1.0\""}},
      {"priority", {"0", "1", "50000", "50001"}},
      {"min", {"0", "1", "100"}},
      {"max", {"0", "1", "100"}},
      {"desired", {"0", "11"}},
      {"size", {"0GiB", "1GiB", "125GiB", "16384GiB", "16385GiB", "65536GiB"}},
      {"volume_size", {"0GiB", "1GiB", "16384GiB", "16385GiB"}},
      {"iops", {"99", "100", "3000", "16000", "16001", "64000", "64001", "256001"}},
      {"throughput", {"124", "125", "1000", "1001", "2000"}},
      {"status", {"200", "301", "302", "303", "404", "503", "600"}},
      {"content_type",
       {"\"text/plain\"", "\"application/json\"", "\"text/xml\"", "\"image/png\"",
        "\"application/javascript\""}},
      {"body", {"\"" + repeated('x', 1025) + "\""}},
      {"path", {"\"health\"", "\"/\"", "\"/ok?x=1\"", "\"/" + repeated('p', 1100) + "\""}},
      {"host", {"\"a*b?.example.com\"", "\"bad host\"", "\"" + repeated('h', 129) + "\""}},
      {"description", {"\"\"", "\"" + repeated('d', 256) + "\"", "\"caf\xc3\xa9\""}},
      {"heartbeat_timeout", {"29s", "30s", "7200s", "7201s"}},
      {"health_check_grace", {"0s", "7200s", "7201s"}},
      {"default_instance_warmup", {"0s", "3600s"}},
      {"max_instance_lifetime", {"0s", "1d", "86399s", "365d", "366d"}},
      {"metadata_hop_limit", {"0", "1", "64", "65"}},
      {"metadata_tokens", {"optional", "required"}},
      {"tick", {"0ms", "1ms", "2000ms"}},
      {"session_timeout", {"1s", "4s", "40s", "41s"}},
      {"ensemble", {"1", "2", "3", "5", "256"}},
      {"access_logs", {"\"s3://bucket/prefix\"", "\"s3://b\"", "\"bucket\""}},
      {"cross_zone", {"true", "false"}},
      {"preserve_client_ip", {"true", "false"}},
      {"target", {"0", "100", "101"}},
      {"spot_timeout", {"4m", "5m", "1440m", "1441m"}},
      {"count", {"0", "1", "2", "3", "49"}},
      {"on_demand_percentage", {"0%", "100%", "101%"}},
      {"matcher", {"\"200\"", "\"200-499\"", "\"100\"", "\"600\"", "\"200,202\""}},
      {"cookie_name", {"\"AWSALB\"", "\"my_cookie\"", "\"\""}},
      {"desync_mitigation_mode", {"monitor", "defensive", "strictest"}},
      {"protocol_version", {"http1", "http2", "grpc"}},
      {"health_check_type", {"ec2", "elb"}},
      {"connection_termination", {"true", "false"}},
      {"security_groups_at_creation", {"true", "false"}},
      {"log_uri", {"\"s3://logs/emr/\"", "\"logs\""}},
      {"applications", {"[\"Spark\", \"Spark\"]", "[\"Flink\"]", "[\"Hadoop\", \"Pig\"]"}},
      {"bid_price", {"\"0.01\"", "\"-1\""}},
      {"spot_max_price", {"\"0.01\"", "\"free\""}},
  };
  return table;
}

/// The kinds whose declared names are swapped for one another.
const std::set<std::string> swappedKinds = {
    "vpc",          "subnet",          "security_group",     "target_group",
    "load_balancer", "launch_template", "auto_scaling_group", "coordination",
    "session_store", "emr_cluster"};

/// A region other than `region`, for foreign zones and certificates.
std::string otherRegion(const std::string &region) {
  return region == "us-east-1" ? "eu-west-1" : "us-east-1";
}

/// The end of the value that starts at token `i`: a bracketed list or call
/// runs to its closing bracket; anything else to the end of its line or the
/// next separator.
size_t valueEnd(const std::vector<Token> &toks, StringRef text, size_t i) {
  int depth = 0;
  size_t j = i;
  for (; j < toks.size(); ++j) {
    const Token &t = toks[j];
    if (j > i && t.lineStart && depth == 0)
      break;
    if (t.kind == Token::Punct) {
      char c = text[t.begin];
      if (c == '[' || c == '(' || c == '{') {
        ++depth;
      } else if (c == ']' || c == ')' || c == '}') {
        if (depth == 0)
          break;
        if (--depth == 0 && j >= i) {
          ++j;
          break;
        }
      } else if ((c == ';' || c == ',') && depth == 0) {
        break;
      }
    }
  }
  return j;
}

std::string shorten(StringRef s) {
  return s.size() > 40 ? (s.take_front(37) + "...").str() : s.str();
}

/// One line and column: "webshop.infra:45".
std::string where(const std::string &file, StringRef text, size_t at) {
  return fmt::format("{}:{}", file, 1 + text.take_front(at).count('\n'));
}

/// Every variant of one design.
void variantsOf(const std::string &path, std::vector<Variant> &out) {
  std::string text = readFile(path);
  std::string file = llvm::sys::path::filename(path).str();
  std::string region = regionOfText(text);
  std::vector<Token> toks = tokenize(text);
  auto tokText = [&](size_t i) {
    return StringRef(text).slice(toks[i].begin, toks[i].end);
  };
  auto isPunct = [&](size_t i, char c) {
    return i < toks.size() && toks[i].kind == Token::Punct && text[toks[i].begin] == c;
  };
  auto replaced = [&](size_t b, size_t e, StringRef with) {
    return text.substr(0, b) + with.str() + text.substr(e);
  };

  // Values.
  for (size_t i = 0; i + 2 < toks.size(); ++i) {
    if (toks[i].kind != Token::Word || !isPunct(i + 1, '=') || isPunct(i + 2, '='))
      continue;
    auto it = valueMutations().find(tokText(i).str());
    if (it == valueMutations().end())
      continue;
    size_t end = valueEnd(toks, text, i + 2);
    if (end == i + 2)
      continue;
    size_t b = toks[i + 2].begin, e = toks[end - 1].end;
    StringRef original = StringRef(text).slice(b, e);
    for (std::string value : it->second) {
      for (auto [key, with] : {std::pair<StringRef, std::string>{"{region}", region},
                               {"{other}", otherRegion(region)}})
        for (size_t at; (at = value.find(key.str())) != std::string::npos;)
          value.replace(at, key.size(), with);
      if (value == original)
        continue;
      out.push_back({region,
                     fmt::format("{}: '{} = {}' -> '{}'", where(file, text, b), tokText(i).str(),
                                 shorten(original), shorten(value)),
                     replaced(b, e, value)});
    }
  }

  // References: every use of a declared name, pointed at another resource of
  // the same kind.
  std::map<std::string, std::string> kindOf;
  std::map<std::string, std::vector<std::string>> byKind;
  for (size_t i = 0; i + 2 < toks.size(); ++i)
    if (toks[i].lineStart && swappedKinds.count(tokText(i).str()) &&
        toks[i + 1].kind == Token::Word && isPunct(i + 2, '{')) {
      kindOf[tokText(i + 1).str()] = tokText(i).str();
      byKind[tokText(i).str()].push_back(tokText(i + 1).str());
    }
  for (size_t i = 1; i < toks.size(); ++i) {
    if (toks[i].kind != Token::Word || isPunct(i + 1, '='))
      continue; // Not a name, or an attribute's.
    auto k = kindOf.find(tokText(i).str());
    if (k == kindOf.end() || tokText(i - 1) == k->second)
      continue; // Not a declared name, or its declaration.
    for (const std::string &other : byKind[k->second])
      if (other != k->first)
        out.push_back({region,
                       fmt::format("{}: {} '{}' -> '{}'", where(file, text, toks[i].begin),
                                   k->second, k->first, other),
                       replaced(toks[i].begin, toks[i].end, other)});
  }
}

/// Every variant of every example and coverage design, in a fixed order.
std::vector<Variant> allVariants() {
  std::vector<Variant> out;
  std::vector<std::string> designs = listFiles("examples", ".infra", false);
  for (const std::string &f : listFiles("tests/golden/cfn", ".infra", false))
    designs.push_back(f);
  for (const std::string &d : designs)
    variantsOf(d, out);
  return out;
}

/// The suite's sample: about one in `SampleStride`, by a hash of what the
/// variant changes (FNV-1a: the same variants on every machine).
constexpr uint64_t SampleStride = 25;
bool inSample(const Variant &v) {
  uint64_t h = 1469598103934665603ull;
  for (char c : v.what)
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h % SampleStride == 0;
}

//===----------------------------------------------------------------------===//
// The run
//===----------------------------------------------------------------------===//

struct TempDir {
  std::string path = makeTempDir();
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
};

/// What one differential run found.
struct Outcome {
  size_t variants = 0, accepted = 0, templates = 0;
  size_t known = 0; ///< cfn-lint errors of knownDifferences.
  /// "variant: cfn-lint RULE: message", one per error on an accepted design.
  std::vector<std::string> failures;
};

/// cfn-lint errors on designs AWS takes, each with the reason: the test lets
/// them pass (and counts them).
struct KnownDifference {
  const char *rule, *messagePart, *reason;
};
const KnownDifference knownDifferences[] = {
    {"E1159", ":server-certificate/",
     "cfn-lint formats a listener's CertificateArn as an ACM ARN only; ELBv2 listeners also "
     "take IAM server certificates (ALB guide, \"SSL certificates\"), which LSN003 accepts"},
};

bool knownDifference(const LintFinding &f) {
  return std::any_of(std::begin(knownDifferences), std::end(knownDifferences),
                     [&](const KnownDifference &d) {
                       return f.rule == d.rule && StringRef(f.message).contains(d.messagePart);
                     });
}

/// Builds each variant (with `buildArgs` added) and lints the templates of
/// those infrac accepts, one cfn-lint run per region and batch.
Outcome runDifferential(const std::vector<Variant> &variants,
                        const std::vector<std::string> &buildArgs,
                        const std::string &cfnLintPath) {
  TempDir dir;
  Outcome o;
  o.variants = variants.size();
  // Identical templates lint alike: the first variant that made one stands
  // for the rest.
  std::map<std::string, std::string> fileOfTemplate;
  std::map<std::string, std::vector<std::string>> filesByRegion;
  std::map<std::string, const Variant *> variantOfFile;
  for (size_t i = 0; i < variants.size(); ++i) {
    const Variant &v = variants[i];
    std::string stem = fmt::format("v{}", i);
    std::string src = dir.path + "/" + stem + ".infra";
    writeFile(src, v.text);
    std::vector<std::string> args = {bin, "build", src, "-o", dir.path};
    args.insert(args.end(), buildArgs.begin(), buildArgs.end());
    if (runProcess(args).exitCode != 0)
      continue;
    ++o.accepted;
    std::string out = dir.path + "/" + stem + ".template.json";
    auto [it, fresh] = fileOfTemplate.try_emplace(readFile(out), out);
    if (!fresh)
      continue;
    filesByRegion[v.region].push_back(out);
    variantOfFile[out] = &v;
  }
  o.templates = fileOfTemplate.size();
  constexpr size_t Batch = 100;
  for (const auto &[region, files] : filesByRegion)
    for (size_t at = 0; at < files.size(); at += Batch) {
      std::vector<std::string> batch(files.begin() + at,
                                     files.begin() + std::min(files.size(), at + Batch));
      int rc = 0;
      for (const LintFinding &f : cfnLint(cfnLintPath, region, batch, &rc)) {
        if (!StringRef(f.rule).startswith("E"))
          continue;
        if (knownDifference(f)) {
          ++o.known;
          continue;
        }
        auto v = variantOfFile.find(f.file);
        o.failures.push_back(fmt::format("{}: cfn-lint {}: {}",
                                         v == variantOfFile.end() ? f.file : v->second->what,
                                         f.rule, f.message));
      }
    }
  return o;
}

bool fullRun() {
  const char *mode = std::getenv("INFRAC_DIFFERENTIAL");
  return mode && StringRef(mode) == "full";
}

TEST(DifferentialTest, WhatCheckAcceptsCfnLintAccepts) {
  std::string cfnLint = findTool("cfn-lint", "INFRAC_CFN_LINT");
  ASSERT_FALSE(cfnLint.empty()) << "cfn-lint is not installed" << cfnSetupHint;
  std::vector<Variant> all = allVariants();
  std::vector<Variant> chosen;
  for (const Variant &v : all)
    if (fullRun() || inSample(v))
      chosen.push_back(v);
  ASSERT_GT(chosen.size(), 20u) << "the generator made " << all.size() << " variants";
  Outcome o = runDifferential(chosen, {}, cfnLint);
  std::printf("differential: %zu variants generated, %zu run, %zu accepted by check, %zu "
              "distinct templates linted, %zu cfn-lint errors (%zu more known differences)\n",
              all.size(), o.variants, o.accepted, o.templates, o.failures.size(), o.known);
  // Both verdicts occur: the sample is not all rejected nor all accepted.
  EXPECT_GT(o.accepted, 0u);
  EXPECT_LT(o.accepted, o.variants);
  for (const std::string &f : o.failures)
    ADD_FAILURE() << f;
}

TEST(DifferentialTest, ADesignCheckWouldRejectFailsIt) {
  // The harness can fail: a health-check interval beyond AWS's 300 s, let
  // through by turning TG009 into a warning, is built and cfn-lint rejects it.
  std::string cfnLint = findTool("cfn-lint", "INFRAC_CFN_LINT");
  ASSERT_FALSE(cfnLint.empty()) << "cfn-lint is not installed" << cfnSetupHint;
  std::vector<Variant> picked;
  for (const Variant &v : allVariants())
    if (StringRef(v.what).startswith("webshop.infra:") &&
        StringRef(v.what).contains("'interval = 15s' -> '301s'") && picked.empty())
      picked.push_back(v);
  ASSERT_EQ(picked.size(), 1u);
  Outcome strict = runDifferential(picked, {}, cfnLint);
  EXPECT_EQ(strict.accepted, 0u) << "TG009 rejects the design";
  Outcome lax = runDifferential(picked, {"--warn=TG009"}, cfnLint);
  EXPECT_EQ(lax.accepted, 1u);
  ASSERT_EQ(lax.failures.size(), 1u);
  EXPECT_NE(lax.failures[0].find("'interval = 15s' -> '301s': cfn-lint E3034"),
            std::string::npos)
      << lax.failures[0];
}

TEST(DifferentialTest, TheGeneratorCoversEveryKindOfMistake) {
  std::vector<Variant> all = allVariants();
  auto count = [&](StringRef needle) {
    return std::count_if(all.begin(), all.end(), [&](const Variant &v) {
      return StringRef(v.what).contains(needle);
    });
  };
  EXPECT_GT(count("'port = "), 50);
  EXPECT_GT(count("'protocol = "), 50);
  EXPECT_GT(count(": subnet '"), 10);
  EXPECT_GT(count(": security_group '"), 10);
  EXPECT_GT(count(": target_group '"), 10);
  EXPECT_GT(count("'zone = "), 10);
  // The same variants, in the same order, every run: the sample is stable.
  std::vector<Variant> again = allVariants();
  ASSERT_EQ(again.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(again[i].what, all[i].what);
}

} // namespace
