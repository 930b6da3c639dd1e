// Benchmark (prints figures, asserts nothing): report delivery at fleet scale, simulated.
//
// 10,000 nodes finish their runs while the task service is down (it answers every request with
// 503 and no Retry-After, at once: a load balancer in front of a dead backend) for the first
// 300 s; then it answers 200. What load does the fleet put on the recovering service, and how
// long until every report is in? Full jitter (the product) against no jitter (the same policy
// with random01 fixed at 1.0: delay = min(cap, base * 2^n)).
//
// The real Deliver() runs, with DeliveryPolicy's defaults (base 1 s, cap 60 s, budget 300 s),
// a fake HttpClient and an injected DeliveryClock on virtual time. A node's outbox holds one
// report, so each flush - the run's report step and every `nodeboot report --flush` - is what
// FlushOutbox() does for one report: Deliver() with a deadline one budget from now (the
// outbox's file operations take no virtual time and are left out: FlushOutbox() over real
// outboxes in /dev/shm gives the same table, 5x slower). Nodes that do not interact (no capacity
// limit) each run to the end on their own clock, one after the other. With a capacity limit every
// node is a coroutine (ucontext) whose DeliveryClock::sleep yields to a discrete-event scheduler,
// so the service answers requests in global time order (first come, first served within each
// second).
//
// A report not delivered by the run waits in the outbox for nodeboot-report.timer, modelled
// from packaging/systemd/nodeboot-report.timer and systemd 252's timer.c/sd-event.c:
//   OnBootSec=2min, OnCalendar=*:0/5, RandomizedDelaySec=30s, AccuracySec=30s.
//   - On entering "waiting", each trigger is re-computed: the calendar's next point strictly
//     after the last trigger (or after now the first time) and boot + 2 min (until it has
//     passed once the timer triggered), each plus a fresh uniform random delay in [0, 30 s).
//   - sd-event wakes within [elapse, elapse + 30 s] at a per-host point: the host's
//     perturbation (boot id, uniform in [0, 60 s)) within the minute, else within 10 s, ...
//   - While nodeboot-report.service runs (a flush, up to its 300 s budget) the timer is not
//     armed; afterwards a trigger already due fires at once.
//   - Triggers before the run ends do nothing: the run holds the lock (`report --flush` exits
//     3 at once) or the outbox is still empty (ConditionDirectoryNotEmpty=).
//   Each trigger after the run is one `nodeboot report --flush`: FlushOutbox() with a fresh
//   300 s budget.
// The boot happens 60-120 s (uniform) before the run reaches its report step. Calendar points
// are at t = 0, 300 s, 600 s, ... unless --phase moves them (t = 0 is the outage's start).
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/base/logging.h"
#include "agent/report/delivery.h"

namespace nodeboot::report {
namespace {

using std::chrono::milliseconds;
constexpr int64_t kSecond = 1000;

// ---- A discrete-event scheduler of coroutines on virtual time (milliseconds). ----

class Simulation {
 public:
  int64_t now = 0;

  // Nodes that do not interact (a service without a capacity limit) need no global time order:
  // each then runs to its end on its own clock, on the main stack, with no context switch.
  explicit Simulation(bool independent) : independent_(independent) {}

  // Starts `body` as a coroutine at virtual time `at`.
  void Spawn(int64_t at, std::function<void()> body) {
    auto* task = new Task{std::move(body)};
    Schedule(at, task);
  }

  // From inside a coroutine: resumes it at now + delay (other coroutines run meanwhile).
  void SleepFor(int64_t delay) { SleepUntil(now + std::max<int64_t>(0, delay)); }
  void SleepUntil(int64_t when) {
    if (independent_) {
      now = std::max(when, now);
      return;
    }
    Task* self = current_;
    Schedule(std::max(when, now), self);
    swapcontext(&self->context, &scheduler_);
  }

  // Runs every coroutine to its end.
  void Run() {
    while (!queue_.empty()) {
      const Event event = queue_.top();
      queue_.pop();
      now = event.at;
      current_ = event.task;
      if (independent_) {
        event.task->body();
        delete event.task;
        continue;
      }
      if (event.task->stack == nullptr) Start(event.task);
      swapcontext(&scheduler_, &event.task->context);
      current_ = nullptr;
      if (event.task->done) Finish(event.task);
    }
  }

 private:
  // The deepest path (Deliver -> log::Info -> fmt, the redactor, spdlog) needs a
  // few pages; the mapping is reserved, not committed, and its lowest page guards it.
  static constexpr size_t kStackBytes = 256 * 1024;

  struct Task {
    std::function<void()> body;
    ucontext_t context{};
    void* stack = nullptr;
    bool done = false;
  };
  struct Event {
    int64_t at;
    uint64_t sequence;  // ties in time run in the order they were scheduled
    Task* task;
    bool operator>(const Event& other) const { return at != other.at ? at > other.at : sequence > other.sequence; }
  };

  void Schedule(int64_t at, Task* task) { queue_.push({at, sequence_++, task}); }

  static void Trampoline() {
    Task* task = running_->current_;
    task->body();
    task->done = true;  // returning resumes uc_link: the scheduler
  }

  void Start(Task* task) {
    task->stack = TakeStack();
    getcontext(&task->context);
    task->context.uc_stack.ss_sp = task->stack;
    task->context.uc_stack.ss_size = kStackBytes;
    task->context.uc_link = &scheduler_;
    running_ = this;
    makecontext(&task->context, &Simulation::Trampoline, 0);
  }

  static void Finish(Task* task) {
    StackPool().push_back(task->stack);
    delete task;
  }

  // Stacks are kept for the next coroutine (and the next scenario): unmapping 10,000 touched
  // stacks cost more than the whole simulation.
  static std::vector<void*>& StackPool() {
    static std::vector<void*> pool;
    return pool;
  }
  static void* TakeStack() {
    if (!StackPool().empty()) {
      void* stack = StackPool().back();
      StackPool().pop_back();
      return stack;
    }
    void* stack = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
      fmt::print(stderr, "bench_delivery_fleet: mmap of a coroutine stack failed: {}\n", std::strerror(errno));
      std::exit(1);
    }
    mprotect(stack, static_cast<size_t>(getpagesize()), PROT_NONE);
    return stack;
  }

  const bool independent_;
  static inline Simulation* running_ = nullptr;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  uint64_t sequence_ = 0;
  Task* current_ = nullptr;
  ucontext_t scheduler_{};
};

// ---- The scenario and the task service. ----

struct Scenario {
  std::string name;
  int agents = 10000;
  int64_t outage_end = 300 * kSecond;  // the service answers 503 in [0, outage_end)
  int64_t report_window = 0;           // runs reach their report step uniformly in [0, window)
  bool jitter = true;
  int capacity = 0;            // 0: no limit; else 503 to requests beyond this many in a second
  int64_t calendar_phase = 0;  // OnCalendar points at phase + k * 300 s
  uint64_t seed = 1;
};

// The task service: 503 without Retry-After during the outage (and above the capacity), else
// 200. Counts requests per second of virtual time.
class FleetService : public HttpClient {
 public:
  FleetService(const Simulation& sim, const Scenario& scenario) : sim_(sim), scenario_(scenario) {}

  Result<HttpResponse> Send(const HttpRequest&) override {
    const size_t second = static_cast<size_t>(sim_.now / kSecond);
    if (requests.size() <= second) {
      requests.resize(second + 1, 0);
      accepted.resize(second + 1, 0);
    }
    ++requests[second];
    const bool down = sim_.now < scenario_.outage_end;
    if (down || (scenario_.capacity > 0 && accepted[second] >= scenario_.capacity)) {
      return HttpResponse{503, {{"content-type", "text/plain"}}, "Service Unavailable"};
    }
    ++accepted[second];
    return HttpResponse{200, {{"content-type", "application/json"}}, "{}"};
  }

  std::vector<int64_t> requests;  // by second of virtual time
  std::vector<int64_t> accepted;

 private:
  const Simulation& sim_;
  const Scenario& scenario_;
};

// ---- nodeboot-report.timer, as systemd 252 runs it. ----

// sd-event's sleep_between(): where in [a, b] a host with this perturbation wakes up.
int64_t SleepBetween(int64_t a, int64_t b, int64_t perturb) {
  if (b <= a + 1) return a;
  for (int64_t step : {60 * kSecond, 10 * kSecond, kSecond, int64_t{250}}) {
    int64_t c = (b / step) * step + perturb % step;
    if (c >= b) c -= step;
    if (c >= a) return c;
  }
  return b;
}

class ReportTimer {
 public:
  static constexpr int64_t kOnBoot = 120 * kSecond;     // OnBootSec=2min
  static constexpr int64_t kCalendar = 300 * kSecond;   // OnCalendar=*:0/5
  static constexpr int64_t kRandomized = 30 * kSecond;  // RandomizedDelaySec=30s
  static constexpr int64_t kAccuracy = 30 * kSecond;    // AccuracySec=30s
  // Realtime = virtual time + this: a whole number of minutes and of 5-minute periods.
  static constexpr int64_t kEpoch = 1'800'000'000 * kSecond;

  ReportTimer(int64_t boot, int64_t perturb, int64_t calendar_phase, std::mt19937_64& random)
      : boot_(boot), perturb_(perturb), phase_(calendar_phase), random_(random) {}

  // When the timer next starts the service, entering "waiting" at `now`.
  int64_t NextTrigger(int64_t now) {
    // OnCalendar: the next point strictly after the last trigger (the first time: after now).
    const int64_t base = (last_trigger_ ? *last_trigger_ : now) + kEpoch - phase_;
    const int64_t calendar = (base / kCalendar + 1) * kCalendar - kEpoch + phase_;
    const int64_t calendar_elapse = calendar + RandomDelay();
    int64_t wake = SleepBetween(calendar_elapse + kEpoch, calendar_elapse + kEpoch + kAccuracy, perturb_) - kEpoch;
    // OnBootSec: once, on the monotonic clock (boot = 0); dropped once past after a trigger.
    if (!boot_done_ && last_trigger_ && boot_ + kOnBoot < now) boot_done_ = true;
    if (!boot_done_) {
      const int64_t elapse = kOnBoot + RandomDelay();  // monotonic
      wake = std::min(wake, boot_ + SleepBetween(elapse, elapse + kAccuracy, perturb_));
    }
    return std::max(wake, now);  // already due: fires at once
  }
  void Triggered(int64_t at) { last_trigger_ = at; }

 private:
  int64_t RandomDelay() { return std::uniform_int_distribution<int64_t>(0, kRandomized - 1)(random_); }

  int64_t boot_, perturb_, phase_;
  std::mt19937_64& random_;
  std::optional<int64_t> last_trigger_;
  bool boot_done_ = false;
};

// ---- One node. ----

struct Node {
  int64_t report_at = 0;
  int64_t boot = 0;
  int64_t delivered_at = -1;
  bool by_run = false;
  int flushes = 0;  // `nodeboot report --flush` runs started by the timer after the run
};

// A report body of a realistic size (a success report with four phases, about 900 bytes).
std::string ReportBody(int index) {
  std::string phases;
  for (const char* name : {"preInstall", "storage", "join", "postInstall"}) {
    phases +=
        fmt::format(R"({}{{"name":"{}","status":"succeeded","startedAt":"2026-11-22T10:00:00Z","durationMs":812}})",
                    phases.empty() ? "" : ",", name);
  }
  return fmt::format(
      R"({{"taskId":"task-4711","node":{{"name":"node-{0}","instanceId":"i-{0:08x}","bootId":"{0:08x}-0000-4000-8000-000000000000"}},)"
      R"("runId":"{1}","status":"succeeded","phase":null,"exitCode":0,"phases":[{2}],"agentVersion":"0.1.0"}})",
      index, fmt::format("00000000-0000-4000-8000-{:012d}", index), phases);
}

struct Figures {
  int64_t total = 0, during_outage = 0, peak_outage = 0, peak_after = 0;
  double mean_after = 0, p50 = 0, p99 = 0, last = 0;
  int delivered = 0, by_run = 0, flushes = 0;
};

Figures Simulate(const Scenario& scenario) {
  Simulation sim(/*independent=*/scenario.capacity == 0);
  FleetService service(sim, scenario);
  std::mt19937_64 random(scenario.seed);
  const DeliveryPolicy policy;  // base 1 s, cap 60 s, budget 300 s: task.deliverySeconds' default
  const DeliveryTarget target{"https://tasks.example.com/v1/tasks/task-4711/result", Secret("token"), "",
                              std::chrono::seconds(10)};
  const DeliveryClock clock{
      [&sim] { return std::chrono::steady_clock::time_point(milliseconds(sim.now)); },
      [&sim] { return std::chrono::system_clock::time_point(milliseconds(ReportTimer::kEpoch + sim.now)); },
      [&sim](milliseconds delay) { sim.SleepFor(delay.count()); },
      [&random, &scenario] { return scenario.jitter ? std::uniform_real_distribution<double>(0.0, 1.0)(random) : 1.0; },
      {}};

  std::vector<Node> nodes(static_cast<size_t>(scenario.agents));
  for (size_t i = 0; i < nodes.size(); ++i) {
    Node& node = nodes[i];
    node.report_at =
        scenario.report_window > 0 ? std::uniform_int_distribution<int64_t>(0, scenario.report_window - 1)(random) : 0;
    node.boot = node.report_at - std::uniform_int_distribution<int64_t>(60 * kSecond, 120 * kSecond - 1)(random);
    const int64_t perturb = std::uniform_int_distribution<int64_t>(0, 60 * kSecond - 1)(random);
    sim.Spawn(node.report_at, [&, i, perturb] {
      Node& self = nodes[i];
      const std::string run_id = fmt::format("00000000-0000-4000-8000-{:012d}", i);
      const std::string body = ReportBody(static_cast<int>(i));
      // One flush of this node's one-report outbox, as FlushOutbox() does it: one budget from now.
      auto flush = [&] {
        return Deliver(service, target, body, run_id, policy, clock, clock.now() + policy.budget).outcome ==
               DeliveryOutcome::kDelivered;
      };
      // The run's report step.
      if (flush()) {
        self.delivered_at = sim.now;
        self.by_run = true;
        return;
      }
      const int64_t run_end = sim.now;
      // The timer, armed at boot (+3 s, timers.target). Its triggers while the run held the lock
      // did nothing and took no time.
      ReportTimer timer(self.boot, perturb, scenario.calendar_phase, random);
      int64_t trigger = timer.NextTrigger(self.boot + 3 * kSecond);
      for (;;) {
        while (trigger < run_end) {
          timer.Triggered(trigger);
          trigger = timer.NextTrigger(trigger);
        }
        sim.SleepUntil(trigger);
        timer.Triggered(trigger);
        ++self.flushes;
        if (flush()) {
          self.delivered_at = sim.now;
          return;
        }
        trigger = timer.NextTrigger(sim.now);  // the flush ended: the timer waits again
      }
    });
  }
  sim.Run();

  Figures figures;
  const size_t recovery_second = static_cast<size_t>(scenario.outage_end / kSecond);
  std::vector<double> after_recovery;
  int64_t last = scenario.outage_end;
  for (const Node& node : nodes) {
    if (node.delivered_at < 0) continue;
    ++figures.delivered;
    figures.by_run += node.by_run ? 1 : 0;
    figures.flushes += node.flushes;
    after_recovery.push_back(static_cast<double>(node.delivered_at - scenario.outage_end) / kSecond);
    last = std::max(last, node.delivered_at);
  }
  for (size_t second = 0; second < service.requests.size(); ++second) {
    const int64_t count = service.requests[second];
    figures.total += count;
    if (second < recovery_second) {
      figures.during_outage += count;
      figures.peak_outage = std::max(figures.peak_outage, count);
    } else {
      figures.peak_after = std::max(figures.peak_after, count);
    }
  }
  const double recovery_seconds = std::max(1.0, static_cast<double>(last - scenario.outage_end) / kSecond);
  figures.mean_after = static_cast<double>(figures.total - figures.during_outage) / recovery_seconds;
  std::sort(after_recovery.begin(), after_recovery.end());
  auto percentile = [&](double p) {
    return after_recovery.empty()
               ? 0.0
               : after_recovery[static_cast<size_t>(p * static_cast<double>(after_recovery.size() - 1))];
  };
  figures.p50 = percentile(0.50);
  figures.p99 = percentile(0.99);
  figures.last = static_cast<double>(last - scenario.outage_end) / kSecond;
  return figures;
}

void PrintHeader() {
  fmt::print(
      "{:<34} {:<6} | {:>8} {:>9} {:>7} | {:>7} {:>7} {:>5} | {:>6} {:>6} {:>6} | {:>6} {:>6} "
      "{:>7}\n",
      "", "", "requests", "requests", "peak/s", "peak/s", "mean/s", "peak/", "p50", "p99", "last", "by", "by", "timer");
  fmt::print(
      "{:<34} {:<6} | {:>8} {:>9} {:>7} | {:>7} {:>7} {:>5} | {:>6} {:>6} {:>6} | {:>6} {:>6} "
      "{:>7}\n",
      "scenario", "jitter", "total", "in outage", "outage", "after", "after", "mean", "s", "s", "s", "run", "timer",
      "flushes");
}

void PrintRow(const Scenario& scenario, const Figures& f) {
  fmt::print(
      "{:<34} {:<6} | {:>8} {:>9} {:>7} | {:>7} {:>7.1f} {:>5.1f} | {:>6.1f} {:>6.1f} {:>6.1f} | "
      "{:>6} {:>6} {:>7}\n",
      scenario.name, scenario.jitter ? "full" : "none", f.total, f.during_outage, f.peak_outage, f.peak_after,
      f.mean_after, f.mean_after > 0 ? static_cast<double>(f.peak_after) / f.mean_after : 0.0, f.p50, f.p99, f.last,
      f.by_run, f.delivered - f.by_run, f.flushes);
  if (f.delivered != scenario.agents) {
    fmt::print("  !! only {} of {} reports delivered\n", f.delivered, scenario.agents);
  }
}

int Main(int argc, char** argv) {
  int agents = 10000, capacity = 100;
  uint64_t seed = 1;
  int64_t phase = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> long long {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return std::stoll(argv[++i]);
    };
    if (arg == "--agents")
      agents = static_cast<int>(value());
    else if (arg == "--seed")
      seed = static_cast<uint64_t>(value());
    else if (arg == "--capacity")
      capacity = static_cast<int>(value());
    else if (arg == "--phase")
      phase = value() * kSecond;
    else {
      fmt::print(stderr,
                 "usage: bench_delivery_fleet [--agents N] [--seed S] [--capacity REQ_PER_S] "
                 "[--phase S]\n");
      return 2;
    }
  }
  log::Options quiet;  // no destination at all: 10,000 nodes' retry lines go nowhere
  quiet.to_stderr = false;
  log::Init(quiet);

  std::vector<Scenario> scenarios;
  for (bool jitter : {false, true}) {
    scenarios.push_back({"all report at t=0", agents, 300 * kSecond, 0, jitter, 0, phase, seed});
  }
  for (bool jitter : {false, true}) {
    scenarios.push_back({"report over the first 60 s", agents, 300 * kSecond, 60 * kSecond, jitter, 0, phase, seed});
  }
  if (capacity > 0) {
    for (bool jitter : {false, true}) {
      scenarios.push_back({fmt::format("over 60 s, service <= {} req/s", capacity), agents, 300 * kSecond, 60 * kSecond,
                           jitter, capacity, phase, seed});
    }
  }

  fmt::print(
      "{} nodes; the task service answers 503 (no Retry-After) at once to every request in [0, 300 "
      "s), then 200.\n"
      "Delivery: DeliveryPolicy defaults (1 s base, 60 s cap, 300 s budget), then "
      "nodeboot-report.timer, whose\n"
      "calendar points are at t = {} s + k x 300 s. \"after\" = from recovery (300 s) to the last "
      "delivery;\n"
      "p50/p99/last = when the reports were delivered, in seconds after recovery. Seed {}.\n\n",
      agents, phase / kSecond, seed);
  PrintHeader();
  for (const Scenario& scenario : scenarios) PrintRow(scenario, Simulate(scenario));

  fmt::print(
      "\nThe same, reports over the first 60 s, with the timer's calendar points moved against the "
      "outage:\n");
  PrintHeader();
  for (int64_t shift : {60, 120, 180, 240}) {
    for (bool jitter : {false, true}) {
      const Scenario scenario{fmt::format("over 60 s, calendar at +{} s", shift),
                              agents,
                              300 * kSecond,
                              60 * kSecond,
                              jitter,
                              0,
                              shift * kSecond,
                              seed};
      PrintRow(scenario, Simulate(scenario));
    }
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print("\nsimulated in {:.1f} s of CPU, peak RSS {} MiB\n",
             static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6,
             usage.ru_maxrss / 1024);
  return 0;
}

}  // namespace
}  // namespace nodeboot::report

int main(int argc, char** argv) {
  try {
    return nodeboot::report::Main(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_delivery_fleet: {}\n", e.what());
    return 2;
  }
}
