// The smallest producer and consumer: send three records, read them back.
#include <iostream>

#include "client/consumer.h"
#include "client/producer.h"

int main() {
  using namespace sluice::client;
  producer p({});  // broker 127.0.0.1:9292, acks=all, idempotent
  for (std::string v : {"one", "two", "three"})
    (void)p.send({.topic = "quickstart", .value = v}).get();
  consumer c({});
  (void)c.assign({{"quickstart", 0}});
  (void)c.seek_to_beginning();
  auto records = c.poll(std::chrono::seconds(5)).value();
  for (const auto& r : records)
    std::cout << r.offset << ": " << *r.value << "\n";
}
