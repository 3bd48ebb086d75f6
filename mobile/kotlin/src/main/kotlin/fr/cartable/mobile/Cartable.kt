package fr.cartable.mobile

import java.io.File
import java.time.LocalDate
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.withContext

/**
 * The coroutine face of Cartable for Android apps: every call of [CartableClient] as a
 * `suspend` function that runs on [Dispatchers.IO] (never on the main thread), and
 * [syncStatus], a flow of the device's [SyncStatus] that emits after each call that changes
 * it (sign-in, sync, edits).
 *
 * Open one per app with [open] and keep it; [close] it when the app's process ends. Calls may
 * run concurrently from any coroutine or thread. Failures throw [CartableException]: branch on
 * its subclass, show [reason] to the parent.
 *
 * ```kotlin
 * val cartable = Cartable.open(context.filesDir.resolve("cartable").path)
 * cartable.login("https://portail.mairie.fr", login, password, "Pixel de Camille")
 * cartable.sync()
 * val week = cartable.planningWeek(LocalDate.now())
 * ```
 */
class Cartable private constructor(
    /** The blocking client underneath, for calls this wrapper does not offer. */
    val client: CartableClient,
    private val dispatcher: CoroutineDispatcher,
    initialStatus: SyncStatus,
) : AutoCloseable {

    companion object {
        /**
         * Opens (or creates) the local store in the folder [storeDir]; a device signed in
         * earlier stays signed in. [dispatcher] runs the blocking calls (tests may pass their
         * own).
         */
        suspend fun open(
            storeDir: String,
            dispatcher: CoroutineDispatcher = Dispatchers.IO,
        ): Cartable = withContext(dispatcher) {
            val client = CartableClient.open(storeDir)
            Cartable(client, dispatcher, client.status())
        }
    }

    private val statusLock = Any()
    private val status = MutableStateFlow(initialStatus)

    /**
     * The device's sync status, current value first, then a new value after each call that
     * changed it (login, logout, sync, successful or not, and every edit).
     */
    val syncStatus: StateFlow<SyncStatus> = status.asStateFlow()

    /** Runs a read on the IO dispatcher. */
    private suspend fun <T> read(block: CartableClient.() -> T): T =
        withContext(dispatcher) { client.block() }

    /** Runs a call that may change the sync status, then publishes the new status. */
    private suspend fun <T> change(block: CartableClient.() -> T): T =
        withContext(dispatcher) {
            try {
                client.block()
            } finally {
                refreshStatus()
            }
        }

    /**
     * Reads the status and publishes it. Under a lock, so that concurrent calls publish in the
     * order they read: the last value published is always the latest status.
     */
    private fun refreshStatus() {
        synchronized(statusLock) {
            runCatching { client.status() }.onSuccess { status.value = it }
        }
    }

    /** Signs in (needs the network); call [sync] next. See [CartableClient.login]. */
    suspend fun login(serverUrl: String, login: String, password: String, deviceName: String): Account =
        change { login(serverUrl, login, password, deviceName) }

    /**
     * Replaces the parent's password; required after a login with a one-time password
     * ([Account.mustChangePassword]). See [CartableClient.changePassword].
     */
    suspend fun changePassword(currentPassword: String, newPassword: String) =
        change { changePassword(currentPassword, newPassword) }

    /** Signs out and wipes local data. See [CartableClient.logout]. */
    suspend fun logout(): LogoutOutcome = change { logout() }

    /** Who this device is signed in as, or null. */
    suspend fun account(): Account? = read { account() }

    /** Syncs with the server. See [CartableClient.sync]. */
    suspend fun sync(): SyncReport = change { sync() }

    /** The current sync status, read now (also in [syncStatus]). */
    suspend fun status(): SyncStatus = read { status() }

    /**
     * Drops this phone's unsent changes to a document whose changes the structure refused
     * (listed in [SyncStatus.refusedChanges]); the next sync downloads it again.
     */
    suspend fun discardRefusedChanges(docId: String) = change { discardRefusedChanges(docId) }

    /** The school year in progress by the server's clock, e.g. "2026-2027". */
    suspend fun currentSchoolYear(): String = read { currentSchoolYear() }

    /** The requests of a school year (null: the current one) with their states. */
    suspend fun planning(schoolYear: String? = null): List<PlanningEntry> = read { planning(schoolYear) }

    /** The planning grid from [from] to [to] (inclusive), [children] only when given. */
    suspend fun planningView(from: LocalDate, to: LocalDate, children: List<String>? = null): PlanningView =
        read { planningView(children, from.toString(), to.toString()) }

    /** The planning grid of the week (Monday to Sunday) containing [anyDay]. */
    suspend fun planningWeek(anyDay: LocalDate): PlanningView = read { planningWeek(anyDay.toString()) }

    /** The planning grid of the month containing [anyDay]. */
    suspend fun planningMonth(anyDay: LocalDate): PlanningView = read { planningMonth(anyDay.toString()) }

    /**
     * Asks to book (offline; decided at the next [sync]). Throws
     * [CartableException.WouldBeRefused] when the server is certain to refuse it. See
     * [CartableClient.book].
     */
    suspend fun book(childId: String, date: LocalDate, activityId: String) =
        change { book(childId, date.toString(), activityId) }

    /**
     * Books even though the server will refuse it, after [book] failed with
     * [CartableException.WouldBeRefused]: a request for the structure's staff to decide.
     * See [CartableClient.bookInsisting].
     */
    suspend fun bookInsisting(childId: String, date: LocalDate, activityId: String) =
        change { bookInsisting(childId, date.toString(), activityId) }

    /** Asks to withdraw a booking (offline). See [CartableClient.cancel]. */
    suspend fun cancel(childId: String, date: LocalDate, activityId: String) =
        change { cancel(childId, date.toString(), activityId) }

    /** Books a weekly pattern over a period (offline). See [CartableClient.bookPattern]. */
    suspend fun bookPattern(booking: BulkBooking): BulkReport = change { bookPattern(booking) }

    /** Withdraws a weekly pattern over a period (offline). See [CartableClient.cancelPattern]. */
    suspend fun cancelPattern(booking: BulkBooking): BulkReport = change { cancelPattern(booking) }

    /** Declares a child absent over booked days (offline). See [CartableClient.declareAbsence]. */
    suspend fun declareAbsence(
        childId: String,
        from: LocalDate,
        to: LocalDate,
        reason: String,
        documentId: String? = null,
    ): BulkReport = change { declareAbsence(childId, from.toString(), to.toString(), reason, documentId) }

    /**
     * Declares a child absent with a medical note queued on the phone ([documentLocalId], from
     * [queueDocument]) as its supporting document (offline): joined once the note is sent, even
     * after a restart. See [CartableClient.declareAbsenceWithQueuedDocument].
     */
    suspend fun declareAbsenceWithQueuedDocument(
        childId: String,
        from: LocalDate,
        to: LocalDate,
        reason: String,
        documentLocalId: String,
    ): BulkReport = change {
        declareAbsenceWithQueuedDocument(childId, from.toString(), to.toString(), reason, documentLocalId)
    }

    /** The family dossier. */
    suspend fun dossier(): Dossier = read { dossier() }

    /** Sets one field of a child sheet (offline). See [ChildField] for value formats. */
    suspend fun setChildField(childId: String, field: ChildField, value: String) =
        change { setChildField(childId, field, value) }

    /** Sets one field of an adult sheet (offline). See [AdultField] for value formats. */
    suspend fun setAdultField(adultId: String, field: AdultField, value: String) =
        change { setAdultField(adultId, field, value) }

    /** Adds a child sheet (offline); returns its id. */
    suspend fun addChild(firstName: String, lastName: String, birthDate: LocalDate?): String =
        change { addChild(firstName, lastName, birthDate?.toString() ?: "") }

    /** Adds an adult sheet (offline); returns its id. */
    suspend fun addAdult(firstName: String, lastName: String): String = change { addAdult(firstName, lastName) }

    /**
     * Fields parents set differently while offline, each with every value and who wrote it
     * (readable offline). Show them on "Mon dossier" until a parent chooses.
     */
    suspend fun dossierConflicts(): List<DossierConflict> = read { dossierConflicts() }

    /**
     * "Garder cette valeur": keeps [valueId] of the field at [path] (offline; every phone shows
     * it after its next [sync]).
     */
    suspend fun keepDossierValue(path: String, valueId: String) = change { keepDossierValue(path, valueId) }

    /** "Je valide mes modifications" (offline; sent at the next [sync]). */
    suspend fun submitDossier() = change { submitDossier() }

    /** Where the dossier stands with the structure, or null when never submitted. */
    suspend fun dossierReview(): DossierReview? = read { dossierReview() }

    /** The structure's catalogue. */
    suspend fun catalogue(): Catalogue = read { catalogue() }

    /**
     * Queues a supporting document to send ("Mes Documents"): [bytes] of a file named
     * [fileName], of [kind] (a code of [documentKindOptions]), optionally about [childId] and
     * valid until [validUntil]. Offline: checked by content (PDF, JPEG or PNG) and stored on the
     * phone on return; sent by [sendDocuments] or the next [sync]. Returns the local id.
     * A refused file throws [CartableException.InvalidInput]. See [CartableClient.queueDocument].
     */
    suspend fun queueDocument(
        fileName: String,
        bytes: ByteArray,
        kind: String,
        childId: String? = null,
        validUntil: LocalDate? = null,
    ): String = read { queueDocument(fileName, bytes, kind, childId, validUntil?.toString()) }

    /** [queueDocument] with the content of [file] (its name is kept). Offline. */
    suspend fun queueDocumentFile(
        file: File,
        kind: String,
        childId: String? = null,
        validUntil: LocalDate? = null,
    ): String = read { queueDocumentFile(file.path, kind, childId, validUntil?.toString()) }

    /**
     * Sends the queued documents and refreshes their states (needs the network; a failure
     * stays on its document and is retried); joins the absences waiting for them (local edits,
     * so the status is published again). See [CartableClient.sendDocuments].
     */
    suspend fun sendDocuments(): SendReport = change { sendDocuments() }

    /**
     * Removes a queued document the structure does not have yet (wrong file, or refused).
     * See [CartableClient.cancelQueuedDocument].
     */
    suspend fun cancelQueuedDocument(localId: String) = read { cancelQueuedDocument(localId) }

    /** "Mes Documents": queued and sent documents with their states. Offline. */
    suspend fun documents(): List<SupportingDocument> = read { documents() }

    /** "Informations": contact details and the messages shown today, with the unread count. */
    suspend fun information(): InformationPage = read { information() }

    /** Marks message [id] of [information] as read (offline). */
    suspend fun markInformationRead(id: String) = read { markInformationRead(id) }

    /** "Téléchargement": the files the structure offers, with their local copy when fetched. */
    suspend fun downloads(): List<Download> = read { downloads() }

    /**
     * The local copy of file [id] of [downloads], fetched first when not on the phone yet
     * (needs the network then). See [CartableClient.fetchDownload].
     */
    suspend fun fetchDownload(id: String): File = File(read { fetchDownload(id) })

    /** "Mes Factures": invoices, credit notes and statements, newest first (offline). */
    suspend fun invoices(): List<Invoice> = read { invoices() }

    /** The balance and the payments received (offline). */
    suspend fun balance(): Balance = read { balance() }

    /**
     * The price of booking [childId] at [activityId] on [date], computed offline with the
     * structure's tariffs. See [CartableClient.bookingPrice].
     */
    suspend fun bookingPrice(childId: String, date: LocalDate, activityId: String): BookingPrice =
        read { bookingPrice(childId, date.toString(), activityId) }

    /**
     * The PDF of invoice [number], fetched once (needs the network the first time) and kept
     * for offline reading. See [CartableClient.invoicePdf].
     */
    suspend fun invoicePdf(number: String): File = File(read { invoicePdf(number) })

    /**
     * Saves the family's data (a ZIP archive) to [dest] (needs the network). See
     * [CartableClient.exportData].
     */
    suspend fun exportData(dest: File): ExportSummary = read { exportData(dest.path) }

    /**
     * What to subscribe the push service with: the server's VAPID key and this phone's keys
     * (needs the network). See [CartableClient.pushSetup].
     */
    suspend fun pushSetup(): PushSetup = read { pushSetup() }

    /** Registers the push service's [endpoint] and the [kinds] wanted on this phone. */
    suspend fun registerPush(endpoint: String, kinds: List<PushKind>): PushSubscription =
        read { registerPush(endpoint, kinds) }

    /** The server's record of this phone's subscription, null when not subscribed. */
    suspend fun pushSubscription(): PushSubscription? = read { pushSubscription() }

    /** Stops notifications to this phone. */
    suspend fun unregisterPush() = read { unregisterPush() }

    /**
     * A received push message (raw encrypted body): decrypted, synced, and the notification
     * to show. See [CartableClient.receivePush].
     */
    suspend fun receivePush(body: ByteArray): PushNotification = change { receivePush(body) }

    /** The devices signed in to this account (needs the network). */
    suspend fun devices(): List<Device> = read { devices() }

    /** Revokes another device of this account (needs the network). */
    suspend fun revokeDevice(deviceId: String) = read { revokeDevice(deviceId) }

    /** Frees the native client. The wrapper must not be used afterwards. */
    override fun close() = client.close()
}

/** The French sentence to show to the parent, whatever the kind of error. */
val CartableException.reason: String
    get() = when (this) {
        is CartableException.Network -> reason
        is CartableException.Unauthorized -> reason
        is CartableException.PasswordChangeRequired -> reason
        is CartableException.NotLoggedIn -> reason
        is CartableException.AlreadyLoggedIn -> reason
        is CartableException.NotDownloaded -> reason
        is CartableException.InvalidInput -> reason
        is CartableException.WouldBeRefused -> reason
        is CartableException.Server -> reason
        is CartableException.ChangesRefused -> reason
        is CartableException.Storage -> reason
        is CartableException.Internal -> reason
    }
