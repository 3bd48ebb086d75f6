package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.mobile.Cartable
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.SupportingDocumentState
import fr.cartable.mobile.SyncReport
import fr.cartable.mobile.reason

/**
 * The app's state over one [Cartable]: who is signed in, which screen shows, whether the
 * server was reachable at the last sync, how many changes wait, and the decisions to announce.
 * Every screen reads the local store through its own model; [sync] refreshes them all.
 *
 * State is Compose snapshot state: screens recompose when it changes, from any thread.
 */
class AppModel(
    val cartable: Cartable,
    val deviceName: String,
    val platform: Platform,
    defaultServerUrl: String = "",
) {
    var signedIn by mutableStateOf(false)
        private set
    var screen by mutableStateOf(Screen.Planning)
    var online by mutableStateOf(true)
        private set
    var syncing by mutableStateOf(false)
        private set
    var pendingChanges by mutableStateOf(0L)
        private set
    var displayName by mutableStateOf("")
        private set

    /** Messages to announce (snackbar), oldest first. */
    val announcements = mutableStateListOf<String>()

    val login = LoginModel(this, defaultServerUrl)
    val planning = PlanningModel(this)
    val period = PeriodModel(this)
    val absences = AbsenceModel(this)
    val invoices = InvoicesModel(this)
    val dossier = DossierModel(this)
    val documents = DocumentsModel(this)
    val information = InformationModel(this)
    val downloads = DownloadsModel(this)
    val account = AccountModel(this)

    /** What the phone's push service calls with each message it delivers. */
    val push = PushReceiver(this)

    /** Unread information messages, shown in the menu. */
    var unread by mutableStateOf(0L)
        private set

    /** Opens the app: a device signed in earlier goes straight to its planning. */
    suspend fun start() {
        val account = cartable.account()
        if (account != null && !account.mustChangePassword) {
            enter(account.displayName)
            sync()
        }
    }

    internal suspend fun enter(name: String) {
        displayName = name
        signedIn = true
        screen = Screen.Planning
        refreshStatus()
        refreshScreens()
    }

    /** Reads every screen's data from the local store again. */
    suspend fun refreshScreens() {
        planning.load()
        period.load()
        absences.load()
        invoices.load()
        dossier.load()
        documents.load()
        information.load()
        downloads.load()
        account.load()
        unread = information.page?.unread?.toLong() ?: 0L
    }

    /** Shows [next], its data read again from the store. */
    suspend fun show(next: Screen) {
        screen = next
        refreshScreens()
        if (next == Screen.Account && online) account.loadDevices()
    }

    /** Reads the number of changes waiting from the store. */
    suspend fun refreshStatus() {
        val status = runCatching { cartable.status() }.getOrNull() ?: return
        val documentsWaiting = runCatching { cartable.documents() }.getOrDefault(emptyList())
            .count { it.state is SupportingDocumentState.WaitingToSend }
        pendingChanges = status.pendingChanges.toLong() + documentsWaiting
    }

    /**
     * Sends this phone's changes and receives the server's decisions (background timer and
     * pull-to-refresh). Offline is not an error: the banner says so and the changes wait.
     */
    suspend fun sync() {
        if (!signedIn || syncing) return
        syncing = true
        try {
            val report = cartable.sync()
            online = true
            // A medical note sent by this sync is joined to its absence by the library, and
            // the absence goes with the same sync.
            announce(report)
        } catch (e: CartableException.Network) {
            online = false
        } catch (e: CartableException.Unauthorized) {
            announcements += e.reason
            signOutLocally()
        } catch (e: CartableException) {
            announcements += e.reason
        } finally {
            syncing = false
            refreshStatus()
            refreshScreens()
        }
    }

    private fun announce(report: SyncReport) {
        report.decided.forEach { announcements += it.message }
        report.absencesDecided.forEach { announcements += it.message }
        report.dossierReview?.let { announcements += "Mon dossier : ${it.label}" }
    }

    /** The oldest announcement was shown. */
    fun dismissAnnouncement() {
        if (announcements.isNotEmpty()) announcements.removeAt(0)
    }

    internal fun signOutLocally() {
        signedIn = false
        displayName = ""
        screen = Screen.Planning
    }

    /** Something needs the network and the phone has none: the banner shows it too. */
    internal fun offline(message: String) {
        online = false
        announcements += message
    }

    /** Tells the parent what went wrong, in the server's or the store's words. */
    internal fun report(e: CartableException) {
        if (e is CartableException.Network) online = false
        announcements += e.reason
    }
}
