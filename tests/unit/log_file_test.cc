// Unit tests of the container log: the json-file lines the monitor writes, and `hull logs`
// reading them back (tail, timestamps, follow, damaged lines).
#include "engine/log_file.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "base/sys.h"

namespace hull::engine {
namespace {

const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)");

// A memfd stands in for the terminal: what read_log printed to one stream.
class Sink {
 public:
  Sink() : fd_(::memfd_create("sink", MFD_CLOEXEC)) {}
  int fd() const { return fd_.get(); }
  std::string text() const {
    std::string s(static_cast<size_t>(::lseek(fd_.get(), 0, SEEK_CUR)), '\0');
    if (!s.empty() && ::pread(fd_.get(), s.data(), s.size(), 0) < 0) return "<read error>";
    return s;
  }

 private:
  base::Fd fd_;
};

class LogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-log-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ctr.log";
  }
  void TearDown() override { (void)base::sys::remove_all(dir_); }

  void write(Stream s, std::string_view data) {
    auto w = LogWriter::open(path_);
    ASSERT_TRUE(w) << w.error().message();
    auto r = w->write(s, data);
    ASSERT_TRUE(r) << r.error().message();
  }
  std::vector<std::string> file_lines() {
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  // Reads the log without follow; returns false if read_log failed.
  bool read(LogReadOptions opt) {
    auto r = read_log(path_, opt, out_.fd(), err_.fd(), [] { return false; });
    if (!r) ADD_FAILURE() << r.error().message();
    return static_cast<bool>(r);
  }

  std::string dir_, path_;
  Sink out_, err_;
};

TEST_F(LogFile, WritesOneJsonObjectPerLine) {
  write(Stream::kStdout, "hello\nworld\n");
  write(Stream::kStderr, "oops\n");
  auto lines = file_lines();
  ASSERT_EQ(lines.size(), 3u);
  auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j.at("log"), "hello\n");
  EXPECT_EQ(j.at("stream"), "stdout");
  EXPECT_TRUE(std::regex_match(j.at("time").get<std::string>(), kTime)) << j.at("time");
  // docker's key order, so a byte-level comparison with its files is possible.
  EXPECT_EQ(lines[1].rfind(R"({"log":"world\n","stream":"stdout","time":")", 0), 0u) << lines[1];
  EXPECT_EQ(nlohmann::json::parse(lines[2]).at("stream"), "stderr");
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(LogFile, ReadsStreamsToTheirFds) {
  write(Stream::kStdout, "out 1\n");
  write(Stream::kStderr, "err 1\n");
  write(Stream::kStdout, "out 2\n");
  ASSERT_TRUE(read({}));
  EXPECT_EQ(out_.text(), "out 1\nout 2\n");
  EXPECT_EQ(err_.text(), "err 1\n");
}

TEST_F(LogFile, PartialLinesAreWrittenAsTheyCome) {
  write(Stream::kStdout, "abc");
  write(Stream::kStdout, "def\nghi");
  auto lines = file_lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[0]).at("log"), "abc");
  EXPECT_EQ(nlohmann::json::parse(lines[1]).at("log"), "def\n");
  EXPECT_EQ(nlohmann::json::parse(lines[2]).at("log"), "ghi");
  ASSERT_TRUE(read({}));
  EXPECT_EQ(out_.text(), "abcdef\nghi");
}

TEST_F(LogFile, BytesThatAreNotUtf8DoNotFailTheWrite) {
  write(Stream::kStdout,
        "a\xff"
        "b\n");
  ASSERT_TRUE(read({}));
  EXPECT_EQ(out_.text(),
            "a\xef\xbf\xbd"
            "b\n");
}

TEST_F(LogFile, AChunkOfManyShortLinesIsWrittenWhole) {
  std::string chunk;
  for (int i = 0; i < 20000; ++i) chunk += std::to_string(i % 10) + "\n";
  write(Stream::kStdout, chunk);
  EXPECT_EQ(file_lines().size(), 20000u);
  ASSERT_TRUE(read({}));
  EXPECT_EQ(out_.text(), chunk);
}

TEST_F(LogFile, TailOfABigFile) {
  // ~12 MB: the tail must come from the end, across several of the reader's blocks.
  auto w = LogWriter::open(path_);
  ASSERT_TRUE(w);
  std::string chunk;
  for (int i = 0; i < 200000; ++i) {
    chunk += "line " + std::to_string(i) + "\n";
    if (chunk.size() > 100000) {
      ASSERT_TRUE(w->write(Stream::kStdout, chunk));
      chunk.clear();
    }
  }
  ASSERT_TRUE(w->write(Stream::kStdout, chunk));
  LogReadOptions opt;
  opt.tail = 3;
  ASSERT_TRUE(read(opt));
  EXPECT_EQ(out_.text(), "line 199997\nline 199998\nline 199999\n");
}

TEST_F(LogFile, TailCountsLinesNotEntriesOfOneStream) {
  write(Stream::kStdout, "1\n2\n");
  write(Stream::kStderr, "3\n");
  write(Stream::kStdout, "4\n");
  LogReadOptions opt;
  opt.tail = 2;
  ASSERT_TRUE(read(opt));
  EXPECT_EQ(out_.text(), "4\n");
  EXPECT_EQ(err_.text(), "3\n");
}

TEST_F(LogFile, TailZeroAndTailPastTheStart) {
  write(Stream::kStdout, "a\nb\n");
  LogReadOptions opt;
  opt.tail = 0;
  ASSERT_TRUE(read(opt));
  EXPECT_EQ(out_.text(), "");
  opt.tail = 10;
  ASSERT_TRUE(read(opt));
  EXPECT_EQ(out_.text(), "a\nb\n");
}

TEST_F(LogFile, TimestampsPrefixEachLine) {
  write(Stream::kStdout, "hello\n");
  write(Stream::kStderr, "oops\n");
  LogReadOptions opt;
  opt.timestamps = true;
  ASSERT_TRUE(read(opt));
  std::string out = out_.text(), err = err_.text();
  EXPECT_TRUE(std::regex_match(out, std::regex(R"(\d{4}-\d\d-\d\dT[0-9:.]{18}Z hello\n)"))) << out;
  EXPECT_TRUE(std::regex_match(err, std::regex(R"(\d{4}-\d\d-\d\dT[0-9:.]{18}Z oops\n)"))) << err;
}

TEST_F(LogFile, AMissingLogIsEmpty) {
  ASSERT_TRUE(read({}));
  EXPECT_EQ(out_.text(), "");
}

TEST_F(LogFile, AMalformedLineIsReportedWithItsNumberAndSkipped) {
  write(Stream::kStdout, "one\n");
  {
    std::ofstream f(path_, std::ios::app);
    f << "{\"log\":\"tru\n";  // cut short, as by a full disk
    f << "[1,2]\n";           // json, but not an entry
  }
  write(Stream::kStdout, "four\nfive\n");
  testing::internal::CaptureStderr();
  ASSERT_TRUE(read({}));
  std::string warned = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out_.text(), "one\nfour\nfive\n");
  EXPECT_NE(warned.find(path_ + ": line 2: malformed"), std::string::npos) << warned;
  EXPECT_NE(warned.find(path_ + ": line 3: malformed"), std::string::npos) << warned;

  // With --tail the number is still the line's number in the file.
  LogReadOptions opt;
  opt.tail = 3;
  testing::internal::CaptureStderr();
  ASSERT_TRUE(read(opt));
  warned = testing::internal::GetCapturedStderr();
  EXPECT_NE(warned.find(path_ + ": line 3: malformed"), std::string::npos) << warned;
  EXPECT_EQ(warned.find("line 2"), std::string::npos) << warned;
}

TEST_F(LogFile, FollowPrintsWhatAWriterInAnotherProcessAddsAndEndsWhenItStops) {
  write(Stream::kStdout, "before\n");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto w = LogWriter::open(path_);
    if (!w) ::_exit(1);
    for (int i = 0; i < 5; ++i) {
      ::usleep(30000);
      if (!w->write(i % 2 ? Stream::kStderr : Stream::kStdout, "n" + std::to_string(i) + "\n"))
        ::_exit(1);
    }
    // The last words, right before the process ends: the follower must still show them.
    if (!w->write(Stream::kStdout, "last")) ::_exit(1);
    ::_exit(0);
  }
  int status = -1;
  auto still_running = [&] { return ::waitpid(pid, &status, WNOHANG) == 0; };
  LogReadOptions opt;
  opt.follow = true;
  opt.tail = 1;
  auto r = read_log(path_, opt, out_.fd(), err_.fd(), still_running);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(out_.text(), "before\nn0\nn2\nn4\nlast");
  EXPECT_EQ(err_.text(), "n1\nn3\n");
}

}  // namespace
}  // namespace hull::engine
