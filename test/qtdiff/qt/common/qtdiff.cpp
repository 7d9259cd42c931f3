#include "qtdiff.h"

#include <QCoreApplication>
#include <QMetaEnum>
#include <QSocketNotifier>
#include <QWebSocket>

#include <cstdio>
#include <unistd.h>

static bool g_quitting = false;

void printLine(const QByteArray &line)
{
    if (g_quitting)
        return;
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void quitProgram()
{
    g_quitting = true;
    QCoreApplication::exit(0);
}

QByteArray quoted(const QByteArray &bytes)
{
    static const char hex[] = "0123456789abcdef";
    QByteArray out = "\"";
    for (const char ch : bytes) {
        const auto c = uchar(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c > 0x7e) {
                out += "\\x";
                out += hex[c >> 4];
                out += hex[c & 15];
            } else {
                out += char(c);
            }
        }
    }
    return out + '"';
}

quint32 fnv1a(const QByteArray &bytes)
{
    quint32 h = 2166136261u;
    for (const char ch : bytes) {
        h ^= uchar(ch);
        h *= 16777619u;
    }
    return h;
}

QByteArray payload(const QByteArray &bytes)
{
    if (bytes.size() <= 64)
        return quoted(bytes);
    return "len=" + QByteArray::number(bytes.size()) + " fnv="
            + QByteArray::number(fnv1a(bytes), 16).rightJustified(8, '0');
}

static int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

QByteArray unescape(const QByteArray &arg)
{
    QByteArray out;
    for (qsizetype i = 0; i < arg.size(); ++i) {
        const char c = arg[i];
        if (c != '\\' || i + 1 == arg.size()) {
            out += c;
            continue;
        }
        const char e = arg[++i];
        switch (e) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'x':
            if (i + 2 < arg.size() && hexValue(arg[i + 1]) >= 0 && hexValue(arg[i + 2]) >= 0) {
                out += char(hexValue(arg[i + 1]) * 16 + hexValue(arg[i + 2]));
                i += 2;
            } else {
                out += "\\x";
            }
            break;
        default: out += e; // \\ and \" and anything else: the character
        }
    }
    return out;
}

QByteArray patternText(qsizetype n)
{
    QByteArray out(n, Qt::Uninitialized);
    for (qsizetype i = 0; i < n; ++i)
        out[i] = char('a' + i % 26);
    return out;
}

QByteArray patternBinary(qsizetype n)
{
    QByteArray out(n, Qt::Uninitialized);
    for (qsizetype i = 0; i < n; ++i)
        out[i] = char(i % 251);
    return out;
}

QByteArray stateName(QAbstractSocket::SocketState state)
{
    return QMetaEnum::fromType<QAbstractSocket::SocketState>().valueToKey(state);
}

QByteArray errorName(QAbstractSocket::SocketError error)
{
    return QMetaEnum::fromType<QAbstractSocket::SocketError>().valueToKey(error);
}

QByteArray boolName(bool b)
{
    return b ? "true" : "false";
}

QByteArray sslErrorText(const QSslError &error)
{
    return "code=" + QByteArray::number(int(error.error())) + " " + quoted(error.errorString().toUtf8());
}

// Script

Script::Script(const QByteArray &who, const QStringList &actions, QObject *parent)
    : QObject(parent), m_who(who)
{
    for (const QString &a : actions)
        m_actions.append(a.toUtf8());
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &Script::timedOut);
}

void Script::start()
{
    run();
}

void Script::notify(const QByteArray &name)
{
    ++m_emitted[name];
    if (m_running || m_waiting != name)
        return;
    ++m_consumed[name];
    m_waiting.clear();
    m_timer.stop();
    run();
}

void Script::timedOut()
{
    if (m_sleeping) {
        m_sleeping = false;
    } else {
        print("wait " + m_waiting + " -> timeout");
        m_waiting.clear();
    }
    run();
}

void Script::run()
{
    if (m_running)
        return;
    m_running = true;
    while (m_next < m_actions.size()) {
        const QByteArray action = m_actions[m_next++];
        const qsizetype sp = action.indexOf(' ');
        const QByteArray verb = sp < 0 ? action : action.left(sp);
        const QByteArray arg = sp < 0 ? QByteArray() : action.mid(sp + 1);
        if (verb == "wait") {
            const QList<QByteArray> parts = arg.split(' ');
            const QByteArray name = parts[0];
            const int ms = parts.size() > 1 ? parts[1].toInt() : 8000;
            if (m_emitted.value(name) > m_consumed.value(name)) {
                ++m_consumed[name];
                continue;
            }
            m_waiting = name;
            m_timer.start(ms);
            m_running = false;
            return;
        }
        if (verb == "sleep") {
            m_sleeping = true;
            m_timer.start(arg.toInt());
            m_running = false;
            return;
        }
        if (verb == "quit") {
            quitProgram();
            m_running = false;
            return;
        }
        if (!act(verb, arg))
            print("error unknown action " + quoted(action));
    }
    m_running = false;
    if (!m_finished) {
        m_finished = true;
        Q_EMIT finished();
    }
}

// SocketScript

SocketScript::SocketScript(const QByteArray &who, const QStringList &actions, QWebSocket *socket,
                           const OpenConfig *config, QObject *parent)
    : Script(who, actions, parent), m_socket(socket), m_config(config)
{
    connectSignals();
}

void SocketScript::connectSignals()
{
    QWebSocket *s = m_socket;
    connect(s, &QWebSocket::aboutToClose, this, [this] {
        print("aboutToClose");
        notify("aboutToClose");
    });
    connect(s, &QWebSocket::connected, this, [this] {
        print("connected");
        notify("connected");
    });
    connect(s, &QWebSocket::disconnected, this, [this] {
        print("disconnected");
        notify("disconnected");
    });
    connect(s, &QWebSocket::stateChanged, this, [this](QAbstractSocket::SocketState state) {
        print("stateChanged " + stateName(state));
        notify("stateChanged");
    });
    connect(s, &QWebSocket::readChannelFinished, this, [this] {
        print("readChannelFinished");
        notify("readChannelFinished");
    });
    connect(s, &QWebSocket::textFrameReceived, this, [this](const QString &frame, bool isLastFrame) {
        print("textFrameReceived " + payload(frame.toUtf8()) + " last=" + boolName(isLastFrame));
        notify("textFrameReceived");
    });
    connect(s, &QWebSocket::binaryFrameReceived, this,
            [this](const QByteArray &frame, bool isLastFrame) {
                print("binaryFrameReceived " + payload(frame) + " last=" + boolName(isLastFrame));
                notify("binaryFrameReceived");
            });
    connect(s, &QWebSocket::textMessageReceived, this, [this](const QString &message) {
        print("textMessageReceived " + payload(message.toUtf8()));
        notify("textMessageReceived");
    });
    connect(s, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &message) {
        print("binaryMessageReceived " + payload(message));
        notify("binaryMessageReceived");
    });
    connect(s, &QWebSocket::pong, this, [this](quint64, const QByteArray &data) {
        print("pong payload=" + payload(data));
        notify("pong");
    });
    connect(s, &QWebSocket::bytesWritten, this, [this](qint64) { notify("bytesWritten"); });
    // Qt 6.4 has no errorOccurred yet: error is its name there.
    connect(s, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError error) {
                print("errorOccurred " + errorName(error) + ' '
                      + quoted(m_socket->errorString().toUtf8()));
                notify("errorOccurred");
            });
    connect(s, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        print("sslErrors count=" + QByteArray::number(errors.size()));
        for (const QSslError &e : errors)
            print("sslError " + sslErrorText(e));
        notify("sslErrors");
    });
    connect(s, &QWebSocket::peerVerifyError, this, [this](const QSslError &error) {
        print("peerVerifyError " + sslErrorText(error));
        notify("peerVerifyError");
    });
    connect(s, &QWebSocket::alertSent, this,
            [this](QSsl::AlertLevel level, QSsl::AlertType type, const QString &description) {
                print("alertSent level=" + QByteArray::number(int(level)) + " type="
                      + QByteArray::number(int(type)) + ' ' + quoted(description.toUtf8()));
                notify("alertSent");
            });
    connect(s, &QWebSocket::alertReceived, this,
            [this](QSsl::AlertLevel level, QSsl::AlertType type, const QString &description) {
                print("alertReceived level=" + QByteArray::number(int(level)) + " type="
                      + QByteArray::number(int(type)) + ' ' + quoted(description.toUtf8()));
                notify("alertReceived");
            });
    connect(s, &QWebSocket::handshakeInterruptedOnError, this, [this](const QSslError &error) {
        print("handshakeInterruptedOnError " + sslErrorText(error));
        notify("handshakeInterruptedOnError");
    });
}

void SocketScript::printState(const QByteArray &call)
{
    print("call " + call + " -> state=" + stateName(m_socket->state()));
}

bool SocketScript::act(const QByteArray &verb, const QByteArray &arg)
{
    if (!m_socket) {
        print("error no socket for " + verb);
        return true;
    }
    if (verb == "open" && m_config) {
        m_socket->open(m_config->request, m_config->options);
        printState("open");
    } else if (verb == "send-text") {
        const qint64 n = m_socket->sendTextMessage(QString::fromUtf8(unescape(arg)));
        print("call sendTextMessage -> " + QByteArray::number(n));
    } else if (verb == "send-text-n") {
        const qint64 n = m_socket->sendTextMessage(QString::fromUtf8(patternText(arg.toLongLong())));
        print("call sendTextMessage -> " + QByteArray::number(n));
    } else if (verb == "send-binary") {
        const qint64 n = m_socket->sendBinaryMessage(unescape(arg));
        print("call sendBinaryMessage -> " + QByteArray::number(n));
    } else if (verb == "send-binary-n") {
        const qint64 n = m_socket->sendBinaryMessage(patternBinary(arg.toLongLong()));
        print("call sendBinaryMessage -> " + QByteArray::number(n));
    } else if (verb == "ping") {
        m_socket->ping(unescape(arg));
        printState("ping");
    } else if (verb == "close") {
        const qsizetype sp = arg.indexOf(' ');
        if (arg.isEmpty()) {
            m_socket->close();
        } else if (sp < 0) {
            m_socket->close(QWebSocketProtocol::CloseCode(arg.toInt()));
        } else {
            m_socket->close(QWebSocketProtocol::CloseCode(arg.left(sp).toInt()),
                            QString::fromUtf8(unescape(arg.mid(sp + 1))));
        }
        printState("close");
    } else if (verb == "abort") {
        m_socket->abort();
        printState("abort");
    } else if (verb == "flush") {
        print("call flush -> " + boolName(m_socket->flush()));
    } else if (verb == "delete") {
        delete m_socket;
        m_socket = nullptr;
        print("call delete");
    } else if (verb == "get") {
        QByteArray value;
        if (arg == "state")
            value = stateName(m_socket->state());
        else if (arg == "error")
            value = errorName(m_socket->error());
        else if (arg == "errorString")
            value = quoted(m_socket->errorString().toUtf8());
        else if (arg == "closeCode")
            value = QByteArray::number(int(m_socket->closeCode()));
        else if (arg == "closeReason")
            value = quoted(m_socket->closeReason().toUtf8());
        else if (arg == "bytesToWrite")
            value = QByteArray::number(m_socket->bytesToWrite());
        else if (arg == "isValid")
            value = boolName(m_socket->isValid());
        else if (arg == "subprotocol")
            value = quoted(m_socket->subprotocol().toUtf8());
        else if (arg == "origin")
            value = quoted(m_socket->origin().toUtf8());
        else if (arg == "resourceName")
            value = quoted(m_socket->resourceName().toUtf8());
        else if (arg == "requestUrl")
            value = quoted(m_socket->requestUrl().toString().toUtf8());
        else
            return false;
        print("get " + arg + " -> " + value);
    } else if (verb == "set") {
        const QList<QByteArray> parts = arg.split(' ');
        const quint64 n = parts.value(1).toULongLong();
        quint64 now = 0;
        if (parts[0] == "outgoingFrameSize") {
            m_socket->setOutgoingFrameSize(n);
            now = m_socket->outgoingFrameSize();
        } else if (parts[0] == "maxAllowedIncomingFrameSize") {
            m_socket->setMaxAllowedIncomingFrameSize(n);
            now = m_socket->maxAllowedIncomingFrameSize();
        } else if (parts[0] == "maxAllowedIncomingMessageSize") {
            m_socket->setMaxAllowedIncomingMessageSize(n);
            now = m_socket->maxAllowedIncomingMessageSize();
        } else {
            return false;
        }
        print("set " + parts[0] + ' ' + QByteArray::number(n) + " -> " + QByteArray::number(now));
    } else {
        return false;
    }
    return true;
}

// StdinWatcher

StdinWatcher::StdinWatcher(Script *script, QObject *parent)
    : QObject(parent),
      m_script(script),
      m_notifier(new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this))
{
    connect(m_notifier, &QSocketNotifier::activated, this, &StdinWatcher::readable);
}

void StdinWatcher::readable()
{
    char buf[512];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n > 0)
        return; // what the runner writes is not read: only the end counts
    m_notifier->setEnabled(false);
    m_script->notify("eof");
}
