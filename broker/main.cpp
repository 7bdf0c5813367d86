// sluiced: the Sluice broker daemon.
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "broker/broker.h"
#include "broker/config.h"

namespace po = boost::program_options;
using namespace sluice;

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "sluiced: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options("Usage: sluiced [options]");
  options.add_options()("help,h", "show this help")("config", po::value<std::string>(),
                                                    "properties file (configs/sluiced.properties)")(
      "data-dir", po::value<std::string>(), "data directory (data.dir)")(
      "listen", po::value<std::string>(), "HOST:PORT to listen on; port 0 picks one (listen)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "key=value for any config key; repeatable")(
      "print-default-config", "print every config key with its default and exit");
  po::variables_map args;
  try {
    po::store(po::parse_command_line(argc, argv, options), args);
    po::notify(args);
  } catch (const po::error& e) {
    return usage_error(std::string(e.what()) + " (see --help)");
  }
  if (args.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (args.count("print-default-config")) {
    std::cout << broker::default_config_file();
    return 0;
  }

  std::vector<broker::property> properties;
  if (args.count("config")) {
    const auto path = args["config"].as<std::string>();
    std::ifstream in(path);
    if (!in) return usage_error("cannot read config file " + path);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = broker::parse_properties(text.str(), path);
    if (!parsed) return usage_error(parsed.error().message);
    properties = std::move(parsed).value();
  }
  if (args.count("data-dir")) {
    properties.push_back({"data.dir", args["data-dir"].as<std::string>(), "--data-dir"});
  }
  if (args.count("listen")) {
    properties.push_back({"listen", args["listen"].as<std::string>(), "--listen"});
  }
  if (args.count("set")) {
    for (const auto& s : args["set"].as<std::vector<std::string>>()) {
      auto p = broker::parse_assignment(s, "--set");
      if (!p) return usage_error(p.error().message);
      properties.push_back(std::move(p).value());
    }
  }
  auto config = broker::make_config(properties);
  if (!config) return usage_error(config.error().message);
  return broker::run_broker(config.value());
}
