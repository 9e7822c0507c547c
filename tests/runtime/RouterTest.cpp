//===- RouterTest.cpp - Listener rules: conditions, priority, forwards ----===//

#include "Controllers/Controllers.h"

#include <gtest/gtest.h>

#include <set>

using namespace infrac::runtime;

namespace {

Condition cond(Condition::Kind k, std::vector<std::string> values, std::string key = "") {
  Condition c;
  c.kind = k;
  c.key = std::move(key);
  c.values = std::move(values);
  if (k == Condition::SourceIp)
    for (const std::string &v : c.values)
      c.cidrs.push_back(*parseCidr(v));
  return c;
}

Action forward(std::vector<ForwardTarget> groups) {
  Action a;
  a.kind = Action::Forward;
  a.groups = std::move(groups);
  return a;
}

TEST(WildcardTest, StarAndQuestionMark) {
  EXPECT_TRUE(wildcardMatch("/api/*", "/api/", false));
  EXPECT_TRUE(wildcardMatch("/api/*", "/api/items/7", false));
  EXPECT_FALSE(wildcardMatch("/api/*", "/api", false));
  EXPECT_TRUE(wildcardMatch("*.example.com", "admin.example.com", true));
  EXPECT_FALSE(wildcardMatch("*.example.com", "example.com", true));
  EXPECT_TRUE(wildcardMatch("/img/??.png", "/img/ab.png", false));
  EXPECT_FALSE(wildcardMatch("/img/??.png", "/img/abc.png", false));
  EXPECT_TRUE(wildcardMatch("*", "", false));
  EXPECT_TRUE(wildcardMatch("a*b*c", "aXXbYYbZc", false));
  EXPECT_FALSE(wildcardMatch("a*b*c", "aXXbYY", false));
  EXPECT_TRUE(wildcardMatch("*Mobile*", "Mozilla/5.0 (iPhone) mobile Safari", true));
  EXPECT_FALSE(wildcardMatch("*Mobile*", "Mozilla/5.0 (iPhone) mobile Safari", false));
}

TEST(ConditionTest, PathIsCaseSensitiveAndIgnoresTheQuery) {
  Condition c = cond(Condition::Path, {"/API/*"});
  Request r;
  r.path = "/API/x";
  EXPECT_TRUE(c.matches(r));
  r.path = "/api/x";
  EXPECT_FALSE(c.matches(r));
  Condition q = cond(Condition::Path, {"/search"});
  r.path = "/search";
  r.query = "q=1";
  EXPECT_TRUE(q.matches(r));
}

TEST(ConditionTest, HostAndHeaderIgnoreCase) {
  Request r;
  r.host = "Admin.Shop.Example.COM";
  EXPECT_TRUE(cond(Condition::Host, {"admin.shop.example.com"}).matches(r));
  EXPECT_TRUE(cond(Condition::Host, {"*.shop.example.com"}).matches(r));
  EXPECT_FALSE(cond(Condition::Host, {"shop.example.com"}).matches(r));
  Header hs[] = {{"user-agent", "Mozilla (Android; MOBILE)"}};
  r.headers = hs;
  EXPECT_TRUE(cond(Condition::Header, {"*Mobile*"}, "User-Agent").matches(r));
  EXPECT_FALSE(cond(Condition::Header, {"*Mobile*"}, "X-Device").matches(r));
  // Any of the values.
  EXPECT_TRUE(cond(Condition::Header, {"*iPhone*", "*Android*"}, "User-Agent").matches(r));
}

TEST(ConditionTest, MethodIsExactAndCaseSensitive) {
  Request r;
  r.method = "POST";
  EXPECT_TRUE(cond(Condition::Method, {"GET", "POST"}).matches(r));
  EXPECT_FALSE(cond(Condition::Method, {"post"}).matches(r));
  EXPECT_FALSE(cond(Condition::Method, {"P*"}).matches(r));
}

TEST(ConditionTest, QueryPairsAndValueAlone) {
  Request r;
  r.query = "page=2&Version=BETA";
  EXPECT_TRUE(cond(Condition::Query, {"beta"}, "version").matches(r));
  EXPECT_TRUE(cond(Condition::Query, {"b*"}, "version").matches(r));
  EXPECT_FALSE(cond(Condition::Query, {"beta"}, "page").matches(r));
  EXPECT_TRUE(cond(Condition::Query, {"2"}).matches(r)); // Any key.
  r.query = "";
  EXPECT_FALSE(cond(Condition::Query, {"*"}).matches(r));
}

TEST(ConditionTest, SourceIpCidrs) {
  Request r;
  r.sourceIp = *parseIpv4("203.0.113.77");
  EXPECT_TRUE(cond(Condition::SourceIp, {"203.0.113.0/24"}).matches(r));
  EXPECT_FALSE(cond(Condition::SourceIp, {"203.0.114.0/24"}).matches(r));
  EXPECT_TRUE(cond(Condition::SourceIp, {"10.0.0.0/8", "0.0.0.0/0"}).matches(r));
  EXPECT_TRUE(cond(Condition::SourceIp, {"203.0.113.77"}).matches(r)); // A /32.
  EXPECT_FALSE(parseIpv4("1.2.3"));
  EXPECT_FALSE(parseIpv4("1.2.3.256"));
  EXPECT_FALSE(parseCidr("1.2.3.4/33"));
}

TEST(ListenerRouterTest, LowestPriorityFirstThenDefault) {
  std::vector<Rule> rules(3);
  rules[0].name = "catch_all_api";
  rules[0].priority = 50;
  rules[0].conditions = {cond(Condition::Path, {"/api/*"})};
  rules[1].name = "api_v2";
  rules[1].priority = 10;
  rules[1].conditions = {cond(Condition::Path, {"/api/v2/*"})};
  rules[2].name = "admin_post";
  rules[2].priority = 20;
  rules[2].conditions = {cond(Condition::Host, {"admin.*"}), cond(Condition::Method, {"POST"})};
  Action def;
  def.kind = Action::FixedResponse;
  def.status = 404;
  ListenerRouter router(rules, def);
  Request r;
  r.path = "/api/v2/items";
  int m = router.match(r);
  ASSERT_GE(m, 0);
  EXPECT_EQ(router.getRules()[m].name, "api_v2");
  r.path = "/api/v1/items";
  EXPECT_EQ(router.getRules()[router.match(r)].name, "catch_all_api");
  // Every condition of a rule must hold.
  r.path = "/";
  r.host = "admin.example.com";
  r.method = "GET";
  EXPECT_EQ(router.match(r), -1);
  EXPECT_EQ(router.action(-1).status, 404);
  r.method = "POST";
  EXPECT_EQ(router.getRules()[router.match(r)].name, "admin_post");
}

TEST(ListenerRouterTest, WeightedForwardSplitsInProportion) {
  Action a = forward({{0, 80}, {1, 20}});
  Rng rng(3);
  int counts[2] = {0, 0};
  for (int i = 0; i < 20000; ++i)
    ++counts[ListenerRouter::chooseGroup(0, a, nullptr, rng)];
  EXPECT_NEAR(counts[0] / 20000.0, 0.8, 0.02);
  // A zero weight gets nothing.
  Action z = forward({{0, 0}, {1, 5}});
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(ListenerRouter::chooseGroup(0, z, nullptr, rng), 1u);
}

TEST(ListenerRouterTest, GroupStickinessKeepsAClientOnItsGroupUntilExpiry) {
  Action a = forward({{4, 50}, {7, 50}});
  a.groupStickiness = seconds(60);
  Rng rng(11);
  GroupCookie cookie;
  size_t first = ListenerRouter::chooseGroup(seconds(1), a, &cookie, rng);
  EXPECT_EQ(cookie.group, a.groups[first].group);
  EXPECT_EQ(cookie.expires, seconds(61));
  for (int i = 2; i < 50; ++i) {
    EXPECT_EQ(ListenerRouter::chooseGroup(seconds(i), a, &cookie, rng), first);
    EXPECT_EQ(cookie.expires, seconds(i) + seconds(60)) << "expiry is reset on every request";
  }
  // Once expired the client is placed by the weights again.
  std::set<size_t> seen;
  for (int i = 0; i < 50; ++i) {
    cookie.expires = 0;
    seen.insert(ListenerRouter::chooseGroup(seconds(1000), a, &cookie, rng));
  }
  EXPECT_EQ(seen.size(), 2u);
}

} // namespace
